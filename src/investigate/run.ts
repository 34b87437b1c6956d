// One investigation of one tenant, end to end: decide the scope, read message trace, resolve its recipients (or
// list every mail user for a sweep), search the mailboxes, join the two sides, and assemble the result. A
// cancelled run still returns a result (complete: false) with every mailbox accounted for.
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../graph/clouds.ts';
import type { Limiter } from '../graph/limiter.ts';
import type { RetryPolicy } from '../graph/retry-policy.ts';
import type { Clock, Send } from '../graph/types.ts';
import { listMailUsers } from './directory.ts';
import { MailAccessMissingError, MailAccessProbe } from './mail-access.ts';
import { applyTrace, type TraceOnlyLine, traceOnlyRecipients } from './join.ts';
import type { SearchTarget } from './mailbox-state.ts';
import {
  countByMessageId,
  countOutcomes,
  type InvestigationResult,
  type MailboxOutcome,
  type MailboxRef,
  perMessageId,
  type Scope,
  type TraceRecipient,
} from './model.ts';
import { notInDirectory, resolveRecipients } from './recipients.ts';
import { findTraceBlocker, planScope, type ScopeChoice } from './scope.ts';
import { type SearchProgress, searchTargets } from './search.ts';
import { type TraceWindowFailure, TraceUnavailableError, traceRecipients } from './trace-scope.ts';

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
  /** The tenant's accepted domains (config `domains`): tells an alias of a mailbox from an external address. */
  acceptedDomains?: readonly string[];
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
  /**
   * A previous, unfinished run of the same investigation: its final outcomes are kept, the rest searched again. A
   * run stopped before its scope was decided (nothing in scope yet) is run again from the start.
   */
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
  /** Trace windows that failed while the others answered: recipients in them may be missing from the scope. */
  traceFailures: TraceWindowFailure[];
  resumedFrom?: string;
}

export async function investigate(options: InvestigateOptions): Promise<InvestigationReport> {
  const now = options.now ?? Date.now;
  const startedMs = Date.now();
  const { client, signal, messageIds } = options;
  const counters = { graph: 0, sub: 0, trace: 0 };
  const previous = options.resume;
  const resume = previous && isResumable(previous) ? previous : undefined;

  let trace: TraceRecipient[] = resume?.trace ?? [];
  let traceFailures: TraceWindowFailure[] = resume?.traceFailures ?? [];
  let traceConsulted = resume ? resume.scope !== 'sweep' : false;
  let sweep = resume ? resume.scope !== 'trace' : false;
  let reason = resume?.scopeReason ?? '';
  let aborted = false;

  if (!resume) {
    const choice = options.scope ?? 'auto';
    let roles: readonly string[] | undefined;
    if (choice !== 'sweep') roles = await client.grantedRoles().catch(() => undefined);
    const blocker = findTraceBlocker({
      cloudName: client.cloud.name,
      cloudHasTrace: client.cloud.capabilities.messageTrace,
      roles,
      since: options.since,
      now: now(),
    });
    if (choice === 'trace' && blocker !== undefined)
      throw new TraceUnavailableError(blocker.message, blocker.kind);
    const plan = planScope(choice, options.addSweep ?? false, blocker?.message);
    sweep = plan.sweep;
    reason = plan.reason;
    if (plan.trace) {
      try {
        const read = await traceRecipients(client.send, messageIds, {
          now: now(),
          clockSkewMarginMs: options.clockSkewMarginMs ?? DEFAULT_CLOCK_SKEW_MARGIN_MS,
          ...(client.clock ? { clock: client.clock } : {}),
          ...(options.since !== undefined ? { since: options.since } : {}),
          ...(options.until !== undefined ? { until: options.until } : {}),
          ...(signal ? { signal } : {}),
        });
        counters.graph += read.graphRequests;
        counters.trace += read.graphRequests;
        trace = read.recipients;
        traceFailures = read.failures;
        traceConsulted = true;
        if (read.beyondHorizon) reason += ' (trace covers only the last 90 days of the range)';
        if (traceFailures.length > 0)
          reason += ` (${traceFailures.length} trace window query(ies) failed: recipients in them may be missing)`;
        // Each id needs its own recipients: an id trace knows nothing of could be in any mailbox.
        const untraced = messageIds.filter((id) => !trace.some((r) => r.messageId === id));
        if (untraced.length > 0 && choice === 'auto' && !sweep) {
          sweep = true;
          reason =
            untraced.length === messageIds.length
              ? `sweep: message trace found no recipient for ${messageIds.length > 1 ? 'these ids' : 'this id'} in the range`
              : `trace first, plus a sweep: message trace found no recipient for ${untraced.join(', ')} in the range`;
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
  const targets: SearchTarget[] = [];
  const batchOptions = {
    limiter: client.mailboxLimiter,
    ...(client.clock ? { clock: client.clock } : {}),
    ...(client.retryPolicy ? { policy: client.retryPolicy } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(signal ? { signal } : {}),
  };
  const resolveOptions = {
    ...batchOptions,
    ...(options.acceptedDomains !== undefined ? { acceptedDomains: options.acceptedDomains } : {}),
  };
  const everyId = (refs: readonly MailboxRef[]) =>
    refs.flatMap((mailbox) => messageIds.map((messageId) => ({ mailbox, messageId })));
  const keepPerId = (outcomes: readonly MailboxOutcome[]) =>
    kept.push(...outcomes.flatMap((o) => perMessageId(o, messageIds)));

  if (aborted) {
    // Stopped while trace was read: the scope is undecided and nothing is in it; a resume starts again.
  } else if (resume) {
    const again = await searchAgain(resume, messageIds, (addresses) =>
      resolveRecipients(client.send, addresses, resolveOptions),
    );
    counters.graph += again.graphRequests;
    targets.push(...again.targets);
    kept.push(...again.kept);
  } else if (options.mailboxes !== undefined && options.mailboxes.length > 0) {
    const resolved = await resolveRecipients(client.send, options.mailboxes, resolveOptions);
    counters.graph += resolved.graphRequests;
    targets.push(...everyId(resolved.toSearch));
    keepPerId([...resolved.classified, ...resolved.unknown.map(notInDirectory)]);
  } else if (sweep) {
    const directory = await listMailUsers(client.send, signal ? { signal } : {});
    counters.graph += directory.graphRequests;
    targets.push(...everyId(directory.toSearch));
    keepPerId(directory.classified);
  } else {
    const resolved = await resolveRecipients(client.send, mailboxAddresses(trace), resolveOptions);
    counters.graph += resolved.graphRequests;
    targets.push(...everyId(resolved.toSearch));
    keepPerId(resolved.classified);
  }

  const searched = await searchTargets(client.send, targets, messageIds, {
    ...batchOptions,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    mailAccess: new MailAccessProbe(await client.grantedRoles().catch(() => undefined)),
  });
  // Not about any one mailbox: the run stops once, with the fix, instead of reporting every mailbox as excluded.
  if (searched.stoppedBy instanceof MailAccessMissingError) throw searched.stoppedBy;
  counters.graph += searched.graphRequests;
  counters.sub += searched.subRequests;

  let mailboxes = [...kept, ...searched.mailboxes];
  if (traceConsulted) mailboxes = applyTrace(mailboxes, trace);
  const endedMs = Date.now();
  const scope: Scope = aborted ? 'undecided' : traceConsulted ? (sweep ? 'trace+sweep' : 'trace') : 'sweep';
  if (aborted) reason = 'undecided: the run was stopped while message trace was being read';
  // A mailbox left throttled, failed or cancelled is worth another try: the run is not complete until it has one.
  const retryable = mailboxes.some((m) => m.outcome === 'notSearched' && RETRYABLE_REASONS.has(m.reason ?? 'error'));
  return {
    runId: options.runId ?? randomUUID(),
    messageIds: [...messageIds],
    tenant: options.tenant,
    startedAt: previous?.startedAt ?? new Date(startedMs).toISOString(),
    endedAt: new Date(endedMs).toISOString(),
    durationMs: (previous?.durationMs ?? 0) + (endedMs - startedMs),
    complete: !aborted && searched.complete && !signal?.aborted && !retryable,
    scope,
    scopeReason: reason,
    graphRequests: (previous?.graphRequests ?? 0) + counters.graph,
    subRequests: (previous?.subRequests ?? 0) + counters.sub,
    traceRequests: (previous?.traceRequests ?? 0) + counters.trace,
    counts: countOutcomes(mailboxes),
    countsByMessageId: countByMessageId(mailboxes, messageIds),
    trace,
    traceFailures,
    traceOnly: traceConsulted ? traceOnlyRecipients(mailboxes, trace) : [],
    mailboxes,
    ...(previous ? { resumedFrom: previous.runId } : {}),
  };
}

/**
 * Whether a stored run can be continued: one stopped before its scope was decided has no trace and no mailbox,
 * and continuing it would find nothing left to do and call that complete.
 */
export function isResumable(previous: InvestigationReport): boolean {
  if (previous.scope === 'undecided') return false;
  return previous.complete || previous.mailboxes.length > 0;
}

/** The addresses trace delivered to: a row that is only a group's expansion is not a mailbox to look up. */
function mailboxAddresses(trace: readonly TraceRecipient[]): string[] {
  const delivered = new Set<string>();
  const all = new Map<string, string>();
  for (const row of trace) {
    all.set(row.address.toLowerCase(), row.address);
    if (row.status !== 'expanded') delivered.add(row.address.toLowerCase());
  }
  return [...all].filter(([key]) => delivered.has(key)).map(([, address]) => address);
}

/**
 * What a resumed run does with the previous lines: final ones are kept; retryable ones are searched again, after
 * a fresh directory lookup when the first one failed (the line then has no object id to search by).
 */
async function searchAgain(
  previous: InvestigationReport,
  messageIds: readonly string[],
  resolve: (addresses: string[]) => ReturnType<typeof resolveRecipients>,
): Promise<{ targets: SearchTarget[]; kept: MailboxOutcome[]; graphRequests: number }> {
  const targets: SearchTarget[] = [];
  const kept: MailboxOutcome[] = [];
  const lookups: MailboxOutcome[] = [];
  // Lines saved before they were per id hold one answer for every id: split them first.
  const lines = previous.mailboxes.flatMap((m) => (m.messageId === undefined ? perMessageId(m, messageIds) : [m]));
  for (const line of lines) {
    const again = line.outcome === 'notSearched' && RETRYABLE_REASONS.has(line.reason ?? 'error');
    if (!again) kept.push(line);
    else if (line.mailbox.id !== undefined) targets.push({ mailbox: line.mailbox, messageId: line.messageId! });
    else lookups.push(line);
  }
  if (lookups.length === 0) return { targets, kept, graphRequests: 0 };
  const resolved = await resolve([...new Set(lookups.map((l) => l.mailbox.address))]);
  const byAddress = new Map<string, MailboxRef | MailboxOutcome>();
  for (const ref of resolved.toSearch) byAddress.set(ref.address.toLowerCase(), ref);
  for (const outcome of resolved.classified) byAddress.set(outcome.mailbox.address.toLowerCase(), outcome);
  for (const address of resolved.unknown) byAddress.set(address.toLowerCase(), notInDirectory(address));
  for (const line of lookups) {
    const answer = byAddress.get(line.mailbox.address.toLowerCase()) ?? notInDirectory(line.mailbox.address);
    if ('outcome' in answer) kept.push({ ...answer, messageId: line.messageId! });
    else targets.push({ mailbox: answer, messageId: line.messageId! });
  }
  return { targets, kept, graphRequests: resolved.graphRequests };
}
