// The trace-first scope: ask message trace who received a message, instead of opening every mailbox. One query per
// message id and 10-day window (`messageId eq` plus the window's receivedDateTime range, both bounds being
// required), every window of the 90-day horizon unless --since/--until narrow it: a message normally has rows in
// one window only, but a late re-delivery or a resend with the same id would otherwise be missed. That costs 9 of
// the tenant's 100 requests per 5 minutes for each id (11 ids fit in one budget; more wait for it to refill), so
// the requests claim the budget at high priority (the collector yields to them) and run in parallel: the service's
// latency, not the window count, sets the time. Each window settles on its own: a failed one is read again split
// in two (as the collector does), and only trace as a whole being unavailable (permission, service principal,
// budget, every query failing) makes `auto` fall back to a sweep; a window that still fails is reported.
import { systemClock } from '../graph/clock.ts';
import { GraphError } from '../graph/errors.ts';
import { buildQuery } from '../graph/odata.ts';
import { pages } from '../graph/paging.ts';
import type { Clock, GraphRequest, Send } from '../graph/types.ts';
import { normalizeStatus, parseUtcMs } from '../trace/model.ts';
import {
  HORIZON_MS,
  planWindows,
  splitWindow,
  type TimeWindow,
  WindowError,
  windowFilter,
} from '../trace/windows.ts';
import type { TraceRecipient } from './model.ts';

export const MESSAGE_TRACES_PATH = '/admin/exchange/tracing/messageTraces';
/** Recipients of one message rarely exceed a few thousand; one page usually holds them all. */
export const TRACE_PAGE_SIZE = 5000;

export interface TraceScopeOptions {
  /** RFC 3339 instants from --since/--until; default: the whole 90-day horizon up to now. */
  since?: string;
  until?: string;
  /** Epoch ms the horizon is measured from. */
  now: number;
  /**
   * Kept off both ends of the horizon: the service refuses a start more than 90 days before, or an end after, *its*
   * now, so a client clock off by up to this much still asks only for what the service accepts.
   */
  clockSkewMarginMs?: number;
  signal?: AbortSignal;
  /** Waits out a failed query's Retry-After before its halves are read (default: real time). */
  clock?: Clock;
}

/** One (message id, window) query trace could not answer, even split in two: its rows may be missing. */
export interface TraceWindowFailure {
  messageId: string;
  /** RFC 3339 UTC bounds of the window. */
  start: string;
  end: string;
  detail: string;
  requestId?: string;
}

export interface TraceScopeResult {
  recipients: TraceRecipient[];
  /** Windows that failed while others answered; empty when trace answered everything. */
  failures: TraceWindowFailure[];
  /** Windows queried, newest first. */
  windows: TimeWindow[];
  graphRequests: number;
  /** Part of the asked range lies beyond the 90-day horizon: trace could not cover it. */
  beyondHorizon: boolean;
}

/**
 * What keeps trace from answering, so that the CLI can say the right fix and exit code: a range beyond the 90-day
 * horizon, a cloud without the API, the permission missing, the service principal missing, the tenant budget
 * exhausted, or trace failing otherwise.
 */
export type TraceUnavailableKind = 'range' | 'cloud' | 'permission' | 'servicePrincipal' | 'throttled' | 'failed';

/** Why trace could not be used at all; `auto` then sweeps and says this reason. */
export class TraceUnavailableError extends Error {
  override readonly name = 'TraceUnavailableError';
  readonly kind: TraceUnavailableKind;
  readonly requestId: string | undefined;
  constructor(
    message: string,
    kind: TraceUnavailableKind,
    options?: { cause?: unknown; requestId?: string },
  ) {
    super(message, options);
    this.kind = kind;
    this.requestId = options?.requestId;
  }
}

/** The windows a trace scope reads: newest first, clipped to the horizon (beyondHorizon says when it was). */
export function traceWindows(
  options: Pick<TraceScopeOptions, 'since' | 'until' | 'now' | 'clockSkewMarginMs'>,
): {
  windows: TimeWindow[];
  beyondHorizon: boolean;
} {
  const margin = options.clockSkewMarginMs ?? 0;
  const now = options.now - margin;
  const horizonMs = HORIZON_MS - 2 * margin;
  const since = options.since === undefined ? now - horizonMs : instant(options.since, '--since');
  const until = options.until === undefined ? now : instant(options.until, '--until');
  if (since > until) {
    throw new WindowError(
      'inverted',
      `impossible time range: --since ${options.since} is after --until ${options.until}`,
    );
  }
  const beyondHorizon = since < now - horizonMs;
  const windows = planWindows({
    from: since,
    until,
    now,
    horizonMs,
    order: 'newest-first',
    beyondHorizon: 'clip',
  });
  return { windows, beyondHorizon };
}

/**
 * Reads every recipient row of the given message ids. Throws TraceUnavailableError when trace as a whole refuses
 * (see TraceUnavailableKind) or when no query at all could be answered; otherwise the windows that failed even
 * split in two are listed in `failures` and the rest is returned.
 */
export async function traceRecipients(
  send: Send,
  messageIds: readonly string[],
  options: TraceScopeOptions,
): Promise<TraceScopeResult> {
  const { windows, beyondHorizon } = traceWindows(options);
  let graphRequests = 0;
  const counted: Send = <T>(request: GraphRequest) => {
    graphRequests++;
    return send<T>(request);
  };
  const queries = messageIds.flatMap((messageId) => windows.map((window) => ({ messageId, window })));
  const settled = await Promise.allSettled(
    queries.map(({ messageId, window }) =>
      readWindowOrHalves(counted, messageId, window, options.clock ?? systemClock, options.signal),
    ),
  );
  if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
  const recipients: TraceRecipient[] = [];
  const failures: TraceWindowFailure[] = [];
  const errors: unknown[] = [];
  settled.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') {
      recipients.push(...outcome.value);
      return;
    }
    const { messageId, window } = queries[index]!;
    const error = outcome.reason as unknown;
    errors.push(error);
    const unavailable = asUnavailable(error);
    failures.push({
      messageId,
      start: new Date(window.start).toISOString(),
      end: new Date(window.end).toISOString(),
      detail: unavailable.message,
      ...(unavailable.requestId !== undefined ? { requestId: unavailable.requestId } : {}),
    });
  });
  // Trace as a whole is unavailable when it says so for any query (those answers hold for every query), or when
  // not a single query could be answered.
  const whole = errors.map(asUnavailable).find((e) => e.kind !== 'failed');
  if (whole) throw whole;
  if (queries.length > 0 && failures.length === queries.length) throw asUnavailable(errors[0]);
  return { recipients, failures, windows, graphRequests, beyondHorizon };
}

/** One window of one id; when it fails for a reason that is about this query, its two halves are read instead. */
async function readWindowOrHalves(
  send: Send,
  messageId: string,
  window: TimeWindow,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<TraceRecipient[]> {
  try {
    return await readQuery(send, messageId, window, signal);
  } catch (error) {
    const halves = splitWindow(window);
    if (signal?.aborted || halves === null || asUnavailable(error).kind !== 'failed') throw error;
    // The service asked for a pause (a 503 with Retry-After outlasting the client's retries): honour it first.
    if (error instanceof GraphError && error.retryAfterMs !== undefined) await clock.sleep(error.retryAfterMs, signal);
    // Newest half first, as Graph orders rows; each half gets one try: a query failing twice is reported.
    const newer = await readQuery(send, messageId, halves[1], signal);
    const older = await readQuery(send, messageId, halves[0], signal);
    return [...newer, ...older];
  }
}

async function readQuery(
  send: Send,
  messageId: string,
  window: TimeWindow,
  signal: AbortSignal | undefined,
): Promise<TraceRecipient[]> {
  const filter = `messageId eq '${messageId.replaceAll("'", "''")}' and ${windowFilter(window)}`;
  const request: GraphRequest = {
    method: 'GET',
    url: MESSAGE_TRACES_PATH + buildQuery({ $filter: filter, $top: TRACE_PAGE_SIZE }),
    headers: { Prefer: 'include-unknown-enum-members' }, // else Graph reports `recalled` as unknownFutureValue
    quota: { bucket: 'messageTrace', priority: 'high' },
    ...(signal ? { signal } : {}),
  };
  const recipients: TraceRecipient[] = [];
  for await (const page of pages<unknown>(send, request)) {
    for (const item of page.items) {
      const recipient = toRecipient(item, messageId);
      if (recipient) recipients.push(recipient);
    }
  }
  return recipients;
}

/** A trace row as a recipient line; rows for another id (the service ignoring the filter) are dropped. */
export function toRecipient(item: unknown, messageId: string): TraceRecipient | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const row = item as Record<string, unknown>;
  const text = (key: string): string => (typeof row[key] === 'string' ? (row[key] as string) : '');
  if (text('recipientAddress') === '') return undefined;
  if (text('messageId') !== '' && text('messageId').toLowerCase() !== messageId.toLowerCase())
    return undefined;
  return {
    messageId,
    address: text('recipientAddress'),
    status: normalizeStatus(text('status')),
    traceId: text('id'),
    receivedDateTime: text('receivedDateTime'),
    sender: text('senderAddress'),
    subject: text('subject'),
  };
}

function asUnavailable(error: unknown): TraceUnavailableError {
  if (error instanceof TraceUnavailableError) return error;
  if (error instanceof GraphError) {
    const kind: TraceUnavailableKind =
      error.status === 401
        ? 'servicePrincipal'
        : error.status === 403
          ? 'permission'
          : error.status === 429
            ? 'throttled'
            : 'failed';
    const why =
      kind === 'servicePrincipal'
        ? 'message trace answered 401 (the Exchange message trace service principal may be missing or not yet propagated)'
        : kind === 'permission'
          ? 'message trace answered 403 (ExchangeMessageTrace.Read.All not granted)'
          : kind === 'throttled'
            ? 'the tenant message trace budget (100 requests / 5 min) is exhausted'
            : `message trace failed (${error.status} ${error.code}: ${error.message.slice(0, 200)})`;
    return new TraceUnavailableError(why, kind, {
      cause: error,
      ...(error.requestId ? { requestId: error.requestId } : {}),
    });
  }
  const name = error instanceof Error ? error.name : 'unknown failure';
  return new TraceUnavailableError(`message trace failed (${name})`, 'failed', { cause: error });
}

function instant(value: string, option: string): number {
  const ms = parseUtcMs(value);
  if (ms === undefined)
    throw new WindowError('invalid', `${option} is not an RFC 3339 instant: ${JSON.stringify(value)}`);
  return ms;
}
