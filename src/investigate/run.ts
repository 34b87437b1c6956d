// One investigation of one tenant, end to end: decide the scope, read message trace, resolve its recipients (or
// list every mail user for a sweep), search the mailboxes, join the two sides, and assemble the result. A
// cancelled run still returns a result (complete: false) with every mailbox accounted for.
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../graph/clouds.ts';
import type { Limiter } from '../graph/limiter.ts';
import type { RetryPolicy } from '../graph/retry-policy.ts';
import type { Clock, Send } from '../graph/types.ts';
import { listMailUsers } from './directory.ts';
import { applyTrace, type TraceOnlyLine, traceOnlyRecipients } from './join.ts';
import {
  countOutcomes,
  type InvestigationResult,
  type MailboxOutcome,
  type MailboxRef,
  type Scope,
  type TraceRecipient,
} from './model.ts';
import { resolveRecipients } from './recipients.ts';
import { reconcile } from './reconcile.ts';
import { planScope, type ScopeChoice, traceBlocker } from './scope.ts';
import { type SearchProgress, searchMailboxes } from './search.ts';
import { TraceUnavailableError, traceRecipients } from './trace-scope.ts';

export interface InvestigationClient {
  send: Send;
  mailboxLimiter: Limiter;
  /** When given, $batch item retries wait on this clock and follow this policy, like the client's own retries. */
  clock?: Clock;
  retryPolicy?: RetryPolicy;
  cloud: Pick<Cloud, 'name' | 'capabilities'>;
  grantedRoles(): Promise<readonly string[]>;
}

/**
 * The oldest window starts at most 90 days before the service's now *when the request arrives*: asking for exactly
 * 90 days before our now would be refused (400) by the time it gets there.
 */
export const DEFAULT_CLOCK_SKEW_MARGIN_MS = 60_000;

/** Mailbox outcomes a resumed run re-searches; the others are final answers. */
export const RETRYABLE_REASONS = new Set(['cancelled', 'throttled', 'error']);

export interface InvestigateOptions {
  client: InvestigationClient;
  tenant: string;
  messageIds: readonly string[];
  scope?: ScopeChoice;
  /** --sweep: a full sweep on top of the trace. */
  addSweep?: boolean;
  /** --mailbox: search only these addresses. */
  mailboxes?: readonly string[];
  since?: string;
  until?: string;
  /** Epoch ms "now" for the trace horizon. Default Date.now(). */
  now?: () => number;
  /** See TraceScopeOptions.clockSkewMarginMs (default 1 minute: requests reach the service a little after now). */
  clockSkewMarginMs?: number;
  /** $batch requests in flight. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: SearchProgress) => void;
  runId?: string;
  /** A previous, unfinished run of the same investigation: its final outcomes are kept, the rest searched again. */
  resume?: InvestigationReport;
}

/** The result plus how it came about; what every report and the run manifest are made from. */
export interface InvestigationReport extends InvestigationResult {
  scopeReason: string;
  /** Trace recipients that are not mailboxes of the tenant (external addresses, groups). */
  traceOnly: TraceOnlyLine[];
  /** Requests inside $batch bodies (first attempts). */
  subRequests: number;
  traceRequests: number;
  resumedFrom?: string;
}

export async function investigate(options: InvestigateOptions): Promise<InvestigationReport> {
  const now = options.now ?? Date.now;
  const startedMs = Date.now();
  const { client, signal } = options;
  const counters = { graph: 0, sub: 0, trace: 0 };

  let trace: TraceRecipient[] = options.resume?.trace ?? [];
  let traceConsulted = options.resume ? options.resume.scope !== 'sweep' : false;
  let sweep = options.resume ? options.resume.scope !== 'trace' : false;
  let reason = options.resume?.scopeReason ?? '';
  let aborted = false;

  if (!options.resume) {
    const choice = options.scope ?? 'auto';
    let roles: readonly string[] | undefined;
    if (choice !== 'sweep') roles = await client.grantedRoles().catch(() => undefined);
    const blocker = traceBlocker({
      cloudName: client.cloud.name,
      cloudHasTrace: client.cloud.capabilities.messageTrace,
      roles,
      since: options.since,
      now: now(),
    });
    if (choice === 'trace' && blocker !== undefined) throw new TraceUnavailableError(blocker);
    const plan = planScope(choice, options.addSweep ?? false, blocker);
    sweep = plan.sweep;
    reason = plan.reason;
    if (plan.trace) {
      try {
        const read = await traceRecipients(client.send, options.messageIds, {
          now: now(),
          clockSkewMarginMs: options.clockSkewMarginMs ?? DEFAULT_CLOCK_SKEW_MARGIN_MS,
          ...(options.since !== undefined ? { since: options.since } : {}),
          ...(options.until !== undefined ? { until: options.until } : {}),
          ...(signal ? { signal } : {}),
        });
        counters.graph += read.graphRequests;
        counters.trace += read.graphRequests;
        trace = read.recipients;
        traceConsulted = true;
        if (read.beyondHorizon) reason += ' (trace covers only the last 90 days of the range)';
        if (trace.length === 0 && choice === 'auto' && !sweep) {
          sweep = true;
          reason = 'sweep: message trace found no recipient for this id in the range';
        }
      } catch (error) {
        if (signal?.aborted) aborted = true;
        else if (!(error instanceof TraceUnavailableError) || choice === 'trace') throw error;
        else {
          sweep = true;
          reason = `sweep: ${error.message}`;
        }
      }
    }
  }

  const kept: MailboxOutcome[] = [];
  let toSearch: MailboxRef[] = [];
  const batchOptions = {
    limiter: client.mailboxLimiter,
    ...(client.clock ? { clock: client.clock } : {}),
    ...(client.retryPolicy ? { policy: client.retryPolicy } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(signal ? { signal } : {}),
  };
  if (aborted) {
    // Cancelled while trace was read: nothing is in scope yet, and the result says it is incomplete.
  } else if (options.resume) {
    for (const previous of options.resume.mailboxes) {
      if (previous.outcome === 'notSearched' && RETRYABLE_REASONS.has(previous.reason ?? 'error'))
        toSearch.push(previous.mailbox);
      else kept.push(previous);
    }
  } else if (options.mailboxes !== undefined && options.mailboxes.length > 0) {
    const resolved = await resolveRecipients(client.send, options.mailboxes, batchOptions);
    counters.graph += resolved.graphRequests;
    toSearch = resolved.toSearch;
    kept.push(...resolved.classified, ...resolved.unknown.map(notInDirectory));
  } else if (sweep) {
    const directory = await listMailUsers(client.send, signal ? { signal } : {});
    counters.graph += directory.graphRequests;
    toSearch = directory.toSearch;
    kept.push(...directory.classified);
  } else {
    const resolved = await resolveRecipients(
      client.send,
      trace.map((r) => r.address),
      batchOptions,
    );
    counters.graph += resolved.graphRequests;
    toSearch = resolved.toSearch;
    kept.push(...resolved.classified);
  }

  const searched = await searchMailboxes(client.send, toSearch, options.messageIds, {
    ...batchOptions,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  counters.graph += searched.graphRequests;
  counters.sub += searched.subRequests;

  let mailboxes = [...kept, ...searched.mailboxes];
  if (traceConsulted) mailboxes = applyTrace(mailboxes, trace);
  const endedMs = Date.now();
  const scope: Scope = traceConsulted ? (sweep ? 'trace+sweep' : 'trace') : 'sweep';
  const previous = options.resume;
  return {
    runId: options.runId ?? randomUUID(),
    messageIds: [...options.messageIds],
    tenant: options.tenant,
    startedAt: previous?.startedAt ?? new Date(startedMs).toISOString(),
    endedAt: new Date(endedMs).toISOString(),
    durationMs: (previous?.durationMs ?? 0) + (endedMs - startedMs),
    complete: !aborted && searched.complete && !signal?.aborted,
    scope,
    scopeReason: reason,
    graphRequests: (previous?.graphRequests ?? 0) + counters.graph,
    subRequests: (previous?.subRequests ?? 0) + counters.sub,
    traceRequests: (previous?.traceRequests ?? 0) + counters.trace,
    counts: countOutcomes(mailboxes),
    trace,
    traceOnly: traceConsulted ? traceOnlyRecipients(mailboxes, trace) : [],
    mailboxes,
    ...(previous ? { resumedFrom: previous.runId } : {}),
  };
}

/** A --mailbox address that no directory user carries: in scope (it was asked for), so said, not dropped. */
function notInDirectory(address: string): MailboxOutcome {
  const outcome: MailboxOutcome = {
    mailbox: { address },
    outcome: 'notSearched',
    reason: 'mailboxNotFound',
    detail: 'no directory user has this mail address',
    copies: [],
    reconciliation: '',
  };
  outcome.reconciliation = reconcile({ traceConsulted: false, traceStatus: undefined, mailbox: outcome });
  return outcome;
}
