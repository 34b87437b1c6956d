// One Graph call through the simulator, after the bearer token has been checked: permissions, "retried too
// early" detection, injected faults, Outlook and message-trace limits, latency, then the resource handler.
// Top-level requests and $batch items take exactly the same path.
import type { ControllableClock } from './clock.ts';
import { classifyGraphPath, type EndpointClass } from './endpoint-class.ts';
import { type FaultInjector, faultResponseShape, retryAfterHeaders } from './faults.ts';
import { authorizationFailure } from './graph-auth.ts';
import { graphError, type SimRequest, type SimResponse } from './http-types.ts';
import { delay, type LatencyModel, sampleLatencyMs } from './latency.ts';
import { ConcurrencyGauge, type LimitConfig, RollingWindow, secondsUntil, ThrottleLedger } from './limits.ts';
import type { SimApp, Tenant } from './model.ts';
import { mixSeed, seededRandom } from './random.ts';
import type { SimStats } from './stats.ts';

export const GRAPH_JSON_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export interface GraphCall {
  method: string;
  version: 'v1.0' | 'beta';
  /** Path after the version, percent-encoded, without query. */
  path: string;
  rawQuery: string;
  headers: Record<string, string>;
  body: unknown;
  tenant: Tenant;
  app: SimApp;
  roles: ReadonlySet<string>;
  requestId: string;
  clientRequestId: string;
  /** The enclosing $batch's request id, for batch items. */
  batchRequestId?: string;
  /** Order in which the HTTP request reached the server (batch items share their batch's). */
  arrival: number;
}

export type GraphOutcome = { kind: 'response'; response: SimResponse } | { kind: 'connectionReset' };

export type Dispatch = (req: SimRequest) => SimResponse | undefined | Promise<SimResponse | undefined>;

export class GraphPipeline {
  readonly clock: ControllableClock;
  readonly limits: LimitConfig;
  readonly faults: FaultInjector;
  readonly latency: LatencyModel;
  readonly stats: SimStats;
  readonly baseUrl: string;
  readonly #mailboxRate: RollingWindow;
  readonly #traceQuota: RollingWindow;
  readonly #concurrency = new ConcurrencyGauge();
  readonly #throttles: ThrottleLedger;
  /** Per $batch request id: throttles recorded by its items, armed once the whole batch response is written. */
  readonly #pendingArms = new Map<string, (() => void)[]>();
  readonly #latencyRandom: () => number;
  #requestCounter = 0;
  #arrivals = 0;

  constructor(options: {
    clock: ControllableClock;
    limits: LimitConfig;
    faults: FaultInjector;
    latency: LatencyModel;
    stats: SimStats;
    baseUrl: string;
  }) {
    this.clock = options.clock;
    this.limits = options.limits;
    this.faults = options.faults;
    this.latency = options.latency;
    this.stats = options.stats;
    this.baseUrl = options.baseUrl;
    this.#mailboxRate = new RollingWindow(
      options.limits.mailboxRequestsPerWindow,
      options.limits.mailboxWindowMs,
    );
    this.#traceQuota = new RollingWindow(options.limits.traceRequestsPerWindow, options.limits.traceWindowMs);
    this.#throttles = new ThrottleLedger({ inFlightAllowance: options.limits.retryAfterInFlightAllowance });
    this.#latencyRandom = seededRandom(mixSeed(options.faults.config.seed, 0x1a7e));
  }

  /** Lower-cased id, UPN and mail → user id, per tenant: a linear scan per request made sweeps quadratic. */
  readonly #mailboxIndex = new WeakMap<Tenant, { userCount: number; ids: Map<string, string> }>();

  /** Numbers an HTTP request as it arrives, before anything else is done with it. */
  nextArrival(): number {
    return ++this.#arrivals;
  }

  /** Resolves the `{id|upn}` of a mailbox path to the user's id (UPN and mail compared case-insensitively). */
  resolveMailbox(tenant: Tenant, ref: string): string {
    const lower = ref.toLowerCase();
    let index = this.#mailboxIndex.get(tenant);
    // Tests may add users to a live tenant: rebuild when the directory changed size.
    if (!index || index.userCount !== tenant.users.length) {
      index = { userCount: tenant.users.length, ids: mailboxAliases(tenant) };
      this.#mailboxIndex.set(tenant, index);
    }
    return index.ids.get(lower) ?? lower;
  }

  /** The key a $batch groups items by: items of one mailbox share at most `batchItemConcurrency` slots. */
  batchGroupKey(tenant: Tenant, path: string): string | undefined {
    const { mailboxRef } = classifyGraphPath(path);
    return mailboxRef === undefined ? undefined : this.resolveMailbox(tenant, mailboxRef);
  }

  async execute(call: GraphCall, dispatch: Dispatch): Promise<GraphOutcome> {
    const started = performance.now();
    const { endpointClass, mailboxRef } = classifyGraphPath(call.path);
    const mailbox = mailboxRef === undefined ? undefined : this.resolveMailbox(call.tenant, mailboxRef);
    this.stats.countRequest(endpointClass, mailbox);
    if (call.batchRequestId !== undefined) this.stats.batchItems++;
    const outcome = await this.#run(call, endpointClass, mailbox, dispatch);
    if (call.batchRequestId === undefined) this.#armAfterWrite(this.#pendingArms.get(call.requestId) ?? []);
    this.#pendingArms.delete(call.requestId);
    this.stats.record({
      method: call.method,
      path: call.rawQuery ? `${call.path}?${call.rawQuery}` : call.path,
      status: outcome.kind === 'response' ? outcome.response.status : 0,
      endpointClass,
      ...(mailbox !== undefined ? { mailbox } : {}),
      simTime: this.clock.now().toISOString(),
      realDurationMs: performance.now() - started,
      clientRequestId: call.clientRequestId,
      ...(call.batchRequestId !== undefined ? { batchRequestId: call.batchRequestId } : {}),
    });
    return outcome;
  }

  async #run(
    call: GraphCall,
    endpointClass: EndpointClass,
    mailbox: string | undefined,
    dispatch: Dispatch,
  ): Promise<GraphOutcome> {
    const errorContext = () => ({
      now: this.clock.now(),
      requestId: call.requestId,
      clientRequestId: call.clientRequestId,
    });
    const respond = (response: SimResponse): GraphOutcome => ({ kind: 'response', response });

    const refused = authorizationFailure(errorContext(), call.path, endpointClass, call.roles, call.tenant);
    if (refused) return respond(refused);

    const throttleKey = this.#throttleKey(call, endpointClass, mailbox);
    const throttle = this.#throttles.check(throttleKey, {
      nowMs: this.clock.nowMs(),
      arrival: call.arrival,
      clientRequestId: call.clientRequestId,
      ...(call.batchRequestId !== undefined ? { origin: call.batchRequestId } : {}),
    });
    if (throttle.throttledMs > 0) {
      if (throttle.ignored) this.stats.violation('retryAfterIgnored');
      return respond(
        this.#throttled(
          call,
          endpointClass,
          throttleKey,
          secondsUntil(throttle.throttledMs, 0),
          'retried too early',
        ),
      );
    }

    const isItem = call.batchRequestId !== undefined;
    if (!isItem || this.faults.config.perBatchItem) {
      const fault = this.faults.decide(call.path, !isItem);
      if (fault) {
        this.stats.fault(fault.kind);
        if (fault.kind === 'connectionReset') return { kind: 'connectionReset' };
        const shape = faultResponseShape(fault);
        if (fault.retryAfterSeconds !== undefined) {
          this.#recordThrottle(call, throttleKey, fault.retryAfterSeconds);
        }
        return respond(
          graphError(
            errorContext(),
            shape.status,
            shape.code,
            shape.message,
            retryAfterHeaders(fault.retryAfterSeconds),
          ),
        );
      }
    }

    const nowMs = this.clock.nowMs();
    if (endpointClass === 'messageTraces') {
      const taken = this.#traceQuota.tryTake(call.tenant.tenantId, nowMs);
      if (!taken.ok) {
        this.stats.violation('traceQuota');
        return respond(
          this.#throttled(call, endpointClass, throttleKey, secondsUntil(taken.retryAtMs, nowMs), 'quota'),
        );
      }
    }
    let concurrencyKey: string | undefined;
    if (mailbox !== undefined && (endpointClass === 'messages' || endpointClass === 'mailFolders')) {
      const rate = this.#mailboxRate.tryTake(throttleKey, nowMs);
      if (!rate.ok) {
        this.stats.violation('mailboxRate');
        return respond(
          this.#throttled(call, endpointClass, throttleKey, secondsUntil(rate.retryAtMs, nowMs), 'rate'),
        );
      }
      const inFlight = this.#concurrency.tryEnter(throttleKey, this.limits.mailboxConcurrency);
      if (inFlight === undefined) {
        this.stats.violation('mailboxConcurrency');
        return respond(
          this.#throttled(
            call,
            endpointClass,
            throttleKey,
            this.limits.concurrencyRetryAfterSeconds,
            'concurrency',
          ),
        );
      }
      this.stats.peakMailboxConcurrency = Math.max(this.stats.peakMailboxConcurrency, inFlight);
      concurrencyKey = throttleKey;
    }

    try {
      await delay(sampleLatencyMs(this.latency, endpointClass, this.#latencyRandom));
      const request = this.#simRequest(call);
      let response: SimResponse | undefined;
      try {
        response = await dispatch(request);
      } catch {
        // A resource bug must not take the server down; the body says nothing about the cause on purpose.
        response = graphError(request, 500, 'InternalServerError', 'An internal server error occurred.');
      }
      return respond(response ?? unknownSegment(request));
    } finally {
      if (concurrencyKey !== undefined) this.#concurrency.leave(concurrencyKey);
    }
  }

  #simRequest(call: GraphCall): SimRequest {
    const number = ++this.#requestCounter;
    return {
      method: call.method,
      version: call.version,
      path: call.path,
      rawQuery: call.rawQuery,
      headers: call.headers,
      body: call.body,
      app: call.app,
      roles: call.roles,
      now: this.clock.now(),
      requestId: call.requestId,
      clientRequestId: call.clientRequestId,
      random: seededRandom(mixSeed(this.faults.config.seed, number)),
      faults: this.faults.config,
      baseUrl: `${this.baseUrl}/${call.version}`,
    };
  }

  /**
   * Records a throttling response. The client can only know of it once it is written: the caller writes it in
   * this same turn of the event loop for a top-level request, and with the whole $batch response for an item.
   */
  #recordThrottle(call: GraphCall, key: string, retryAfterSeconds: number): void {
    const nowMs = this.clock.nowMs();
    this.#throttles.record(key, nowMs, nowMs + retryAfterSeconds * 1000, {
      clientRequestId: call.clientRequestId,
      ...(call.batchRequestId !== undefined ? { origin: call.batchRequestId } : {}),
    });
    const arm = () => this.#throttles.arm(key, this.#arrivals);
    if (call.batchRequestId === undefined) {
      this.#armAfterWrite([arm]);
      return;
    }
    const pending = this.#pendingArms.get(call.batchRequestId);
    if (pending) pending.push(arm);
    else this.#pendingArms.set(call.batchRequestId, [arm]);
  }

  /** Runs `arms` after the current turn, by which time the server has handed the response to the socket. */
  #armAfterWrite(arms: readonly (() => void)[]): void {
    if (arms.length === 0) return;
    setImmediate(() => {
      for (const arm of arms) arm();
    });
  }

  #throttleKey(call: GraphCall, endpointClass: EndpointClass, mailbox: string | undefined): string {
    const tenantId = call.tenant.tenantId;
    if (endpointClass === 'messageTraces') return `trace:${tenantId}`;
    if (mailbox !== undefined) return `mailbox:${tenantId}:${call.app.clientId}:${mailbox}`;
    return `app:${tenantId}:${call.app.clientId}:${endpointClass}`;
  }

  /** A 429 that also records when the key may be called again. */
  #throttled(
    call: GraphCall,
    endpointClass: EndpointClass,
    key: string,
    retryAfterSeconds: number,
    why: 'retried too early' | 'quota' | 'rate' | 'concurrency',
  ): SimResponse {
    const now = this.clock.now();
    // A concurrency 429 is about requests in flight: once a slot frees the mailbox may be called again, and
    // the requests of the same burst that follow it are counted as concurrency breaches, not as early retries.
    if (why !== 'concurrency') this.#recordThrottle(call, key, retryAfterSeconds);
    const ctx = { now, requestId: call.requestId, clientRequestId: call.clientRequestId };
    const headers = retryAfterHeaders(retryAfterSeconds);
    if (endpointClass === 'messageTraces') {
      return graphError(
        ctx,
        429,
        'TooManyRequests',
        why === 'quota'
          ? 'Too many requests: the tenant exceeded its message trace limit of 100 requests per 5 minutes.'
          : 'Too many requests: retry after the interval given in Retry-After.',
        headers,
      );
    }
    if (endpointClass === 'messages' || endpointClass === 'mailFolders') {
      const message = {
        concurrency: 'Application is over its MailboxConcurrency limit.',
        rate: 'Application is over its MailboxRequests limit.',
        quota: 'Application is over its MailboxRequests limit.',
        'retried too early': 'Application is throttled: retry after the interval given in Retry-After.',
      }[why];
      return graphError(ctx, 429, 'ApplicationThrottled', message, headers);
    }
    return graphError(ctx, 429, 'TooManyRequests', 'Too many requests, please retry later.', headers);
  }
}

function unknownSegment(req: SimRequest): SimResponse {
  const segment = req.path.split('/').filter(Boolean)[0] ?? '';
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // keep the raw segment
  }
  return graphError(req, 400, 'BadRequest', `Resource not found for the segment '${decoded}'.`);
}

function mailboxAliases(tenant: Tenant): Map<string, string> {
  const ids = new Map<string, string>();
  for (const user of tenant.users) {
    for (const alias of [user.id, user.userPrincipalName, user.mail])
      if (alias && !ids.has(alias.toLowerCase())) ids.set(alias.toLowerCase(), user.id);
  }
  return ids;
}
