// Microsoft Graph's documented limits, counted on the sim clock: Outlook's per (app, mailbox) concurrency and
// rate, the tenant-wide message-trace quota, and "throttled until" instants so that a client that retries
// before Retry-After has elapsed is caught (and one that could not have known is not).

export interface LimitConfig {
  /** Requests in flight per (app, mailbox). */
  mailboxConcurrency: number;
  /** Requests per rolling window per (app, mailbox). */
  mailboxRequestsPerWindow: number;
  mailboxWindowMs: number;
  /** Message-trace requests per rolling window per tenant (all apps). */
  traceRequestsPerWindow: number;
  traceWindowMs: number;
  /** Retry-After sent with a MailboxConcurrency 429. */
  concurrencyRetryAfterSeconds: number;
  /** Outlook items of one $batch executed at once, whatever mailboxes they target. */
  batchItemConcurrency: number;
  /**
   * Requests per throttling response presumed already on the wire when it was written (not counted as
   * retryAfterIgnored; see ThrottleLedger): a client's requests in flight to one endpoint, minus one. May be 0.
   */
  retryAfterInFlightAllowance: number;
}

export const GRAPH_LIMITS: LimitConfig = {
  mailboxConcurrency: 4,
  mailboxRequestsPerWindow: 10_000,
  mailboxWindowMs: 600_000,
  traceRequestsPerWindow: 100,
  traceWindowMs: 300_000,
  concurrencyRetryAfterSeconds: 1,
  batchItemConcurrency: 4,
  retryAfterInFlightAllowance: 0,
};

/** Limits that may be 0; every other one must be positive. */
const MAY_BE_ZERO = new Set<keyof LimitConfig>(['retryAfterInFlightAllowance']);

export function resolveLimitConfig(partial: Partial<LimitConfig> | undefined): LimitConfig {
  const config = { ...GRAPH_LIMITS };
  for (const [key, value] of Object.entries(partial ?? {})) {
    if (value === undefined) continue;
    const zeroOk = MAY_BE_ZERO.has(key as keyof LimitConfig);
    if (!(typeof value === 'number' && Number.isFinite(value) && (value > 0 || (zeroOk && value === 0)))) {
      throw new RangeError(`limit ${key} must be a ${zeroOk ? 'non-negative' : 'positive'} number`);
    }
    config[key as keyof LimitConfig] = value;
  }
  return config;
}

/** A rolling-window request log per key (timestamps in sim ms, oldest first). */
export class RollingWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records a hit when there is room; otherwise returns the sim ms at which the oldest hit leaves the window. */
  tryTake(key: string, nowMs: number): { ok: true } | { ok: false; retryAtMs: number } {
    const hits = this.#prune(key, nowMs);
    if (hits.length >= this.#limit) return { ok: false, retryAtMs: hits[0]! + this.#windowMs };
    hits.push(nowMs);
    return { ok: true };
  }

  used(key: string, nowMs: number): number {
    return this.#prune(key, nowMs).length;
  }

  #prune(key: string, nowMs: number): number[] {
    let hits = this.#hits.get(key);
    if (!hits) {
      hits = [];
      this.#hits.set(key, hits);
    }
    const cutoff = nowMs - this.#windowMs;
    let drop = 0;
    while (drop < hits.length && hits[drop]! <= cutoff) drop++;
    if (drop > 0) hits.splice(0, drop);
    return hits;
  }
}

/** In-flight counters per key. */
export class ConcurrencyGauge {
  readonly #inFlight = new Map<string, number>();

  tryEnter(key: string, max: number): number | undefined {
    const current = this.#inFlight.get(key) ?? 0;
    if (current >= max) return undefined;
    this.#inFlight.set(key, current + 1);
    return current + 1;
  }

  leave(key: string): void {
    const current = this.#inFlight.get(key) ?? 0;
    if (current <= 1) this.#inFlight.delete(key);
    else this.#inFlight.set(key, current - 1);
  }

  current(key: string): number {
    return this.#inFlight.get(key) ?? 0;
  }
}

/** What the service knows about one request when it checks it against the throttles. */
export interface ThrottleCheck {
  nowMs: number;
  /** Arrival number of the HTTP request (batch items share their batch's). */
  arrival: number;
  clientRequestId?: string;
  /** The enclosing $batch's request id, for batch items. */
  origin?: string;
}

/** `throttledMs` > 0: the key is throttled for that long; `ignored`: the client could have known (a violation). */
export interface ThrottleVerdict {
  throttledMs: number;
  ignored: boolean;
}

const OPEN: ThrottleVerdict = { throttledMs: 0, ignored: false };

interface ThrottlePeriod {
  untilMs: number;
  /** Set once the throttling response has been written: the last arrival number at that moment. */
  armedAfterArrival: number | undefined;
  /** Other requests that arrived after that and were presumed already on the wire. */
  presumedInFlight: number;
  /** Batches whose own items were throttled: their other items ran in the same envelope and could not know. */
  origins: Set<string>;
}

/**
 * When each key may be called again, set by every 429/503 with Retry-After, and whether a request ignored it.
 *
 * A request ignores a Retry-After only when the client could have known it:
 * - the same client-request-id re-sent before the Retry-After its own 429 carried is a proven early retry;
 * - another request arriving before the throttling response was written (`arm`) could not know;
 * - after that, a client with several requests in flight (HTTP/1.1 carries one per connection) may still have
 *   up to `inFlightAllowance` others already on the wire, sent before it read the 429; those are presumed
 *   innocent, and every further one is a violation. 0 (the default) is exact for a client that sends one
 *   request at a time; a client that keeps N requests in flight to one endpoint needs N - 1.
 * Every request to a throttled key is answered 429 whether or not it counts, as Graph would.
 */
export class ThrottleLedger {
  readonly #periods = new Map<string, ThrottlePeriod>();
  /** Per key, client-request-id → the instant its own Retry-After ends. */
  readonly #throttledIds = new Map<string, Map<string, number>>();
  readonly #inFlightAllowance: number;

  constructor(options: { inFlightAllowance?: number } = {}) {
    this.#inFlightAllowance = options.inFlightAllowance ?? 0;
  }

  /** A throttling response is being sent for `key`; call `arm` once it has been written. */
  record(
    key: string,
    nowMs: number,
    untilMs: number,
    request: { clientRequestId?: string; origin?: string } = {},
  ): void {
    if (request.clientRequestId !== undefined) {
      let ids = this.#throttledIds.get(key);
      if (!ids) {
        ids = new Map();
        this.#throttledIds.set(key, ids);
      }
      ids.set(request.clientRequestId, Math.max(ids.get(request.clientRequestId) ?? 0, untilMs));
    }
    const period = this.#periods.get(key);
    if (period && period.untilMs > nowMs) {
      // Still throttled: extend, but keep when the period became known (whoever arrived since has been told).
      period.untilMs = Math.max(period.untilMs, untilMs);
      if (request.origin !== undefined) period.origins.add(request.origin);
      return;
    }
    this.#periods.set(key, {
      untilMs,
      armedAfterArrival: undefined,
      presumedInFlight: 0,
      origins: new Set(request.origin === undefined ? [] : [request.origin]),
    });
  }

  /** The throttling response for `key` has been written; `lastArrival` is the last arrival number by then. */
  arm(key: string, lastArrival: number): void {
    const period = this.#periods.get(key);
    if (period && period.armedAfterArrival === undefined) period.armedAfterArrival = lastArrival;
  }

  /** Whether `key` is throttled for this request, and whether sending it ignored a Retry-After. */
  check(key: string, request: ThrottleCheck): ThrottleVerdict {
    const ownUntil = this.#ownRetryAfterEnd(key, request);
    if (ownUntil > request.nowMs) return { throttledMs: ownUntil - request.nowMs, ignored: true };
    const period = this.#periods.get(key);
    if (!period) return OPEN;
    if (period.untilMs <= request.nowMs) {
      this.#periods.delete(key);
      return OPEN;
    }
    // Items of the batch that was throttled ran inside the same envelope: they go ahead, as they always did.
    if (request.origin !== undefined && period.origins.has(request.origin)) return OPEN;
    const throttledMs = period.untilMs - request.nowMs;
    const armed = period.armedAfterArrival;
    if (armed === undefined || request.arrival <= armed) return { throttledMs, ignored: false };
    if (period.presumedInFlight < this.#inFlightAllowance) {
      period.presumedInFlight++;
      return { throttledMs, ignored: false };
    }
    return { throttledMs, ignored: true };
  }

  #ownRetryAfterEnd(key: string, request: ThrottleCheck): number {
    const ids = this.#throttledIds.get(key);
    if (!ids || request.clientRequestId === undefined) return 0;
    const until = ids.get(request.clientRequestId);
    if (until === undefined) return 0;
    if (until <= request.nowMs) {
      ids.delete(request.clientRequestId);
      if (ids.size === 0) this.#throttledIds.delete(key);
      return 0;
    }
    return until;
  }
}

export function secondsUntil(targetMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((targetMs - nowMs) / 1000));
}
