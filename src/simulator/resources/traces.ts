// GET /admin/exchange/tracing/messageTraces: pages of exchangeMessageTrace rows, newest first, resumable
// through a skiptoken that names the last row returned.
import { graphError, type SimRequest, type SimResponse } from '../http-types.ts';
import type { TraceStatus } from '../model.ts';
import { compareTraceOrder, type IndexedTraceRow, statusAt, type TenantIndex } from './indexes.ts';
import { parseTop } from './odata.ts';
import {
  brokenTraceSkipToken,
  checkWindow,
  decodeTraceSkipToken,
  encodeTraceSkipToken,
  formatTimestamp,
  parseTraceFilter,
  type ResumePoint,
  type TraceQuery,
  TraceQueryError,
} from './trace-query.ts';

const DEFAULT_PAGE_SIZE = 1000;
const MAX_PAGE_SIZE = 5000;
const DEFAULT_WINDOW_MS = 48 * 3_600_000;

export type ShownStatus = TraceStatus | 'unknownFutureValue';

/** `recalled` is an evolvable enum member: clients see it only when they opt in with a Prefer header. */
export function shownStatus(req: SimRequest, status: TraceStatus): ShownStatus {
  if (status !== 'recalled') return status;
  const prefer = (req.headers.prefer ?? '').toLowerCase();
  return prefer.split(',').some((p) => p.trim() === 'include-unknown-enum-members')
    ? status
    : 'unknownFutureValue';
}

/** v1.0 spells statuses in camelCase; the beta sample uses PascalCase. */
export function statusForVersion(req: SimRequest, status: ShownStatus): string {
  return req.version === 'beta' ? status.charAt(0).toUpperCase() + status.slice(1) : status;
}

function shapeRow(req: SimRequest, entry: IndexedTraceRow, status: ShownStatus): Record<string, unknown> {
  const row = entry.row;
  return {
    ...(req.version === 'beta' ? { '@odata.type': '#microsoft.graph.exchangeMessageTrace' } : {}),
    id: row.id,
    messageId: row.messageId,
    senderAddress: row.senderAddress,
    recipientAddress: row.recipientAddress,
    receivedDateTime: row.receivedDateTime,
    subject: row.subject,
    size: row.size,
    fromIP: row.fromIP,
    toIP: row.toIP,
    status: statusForVersion(req, status),
  };
}

/** Builds the row predicate for everything but the time window; `status` is compared as the client sees it. */
function rowMatcher(query: TraceQuery): (entry: IndexedTraceRow, status: ShownStatus) => boolean {
  const checks: ((entry: IndexedTraceRow, status: ShownStatus) => boolean)[] = [];
  for (const { property, value } of query.equals) {
    const lower = value.toLowerCase();
    switch (property) {
      case 'id':
        checks.push((e) => e.row.id.toLowerCase() === lower);
        break;
      case 'recipientAddress':
        checks.push((e) => e.recipientLower === lower);
        break;
      case 'senderAddress':
        checks.push((e) => e.row.senderAddress.toLowerCase() === lower);
        break;
      case 'status':
        checks.push((_e, status) => status.toLowerCase() === lower);
        break;
      case 'messageId':
      case 'fromIP':
      case 'toIP':
        checks.push((e) => e.row[property] === value);
        break;
    }
  }
  for (const { match, value } of query.subject) {
    const needle = value.toLowerCase();
    checks.push((e) => {
      const subject = e.row.subject.toLowerCase();
      return match === 'contains'
        ? subject.includes(needle)
        : match === 'startswith'
          ? subject.startsWith(needle)
          : subject.endsWith(needle);
    });
  }
  return (entry, status) => checks.every((check) => check(entry, status));
}

/** The smallest pre-sorted list that holds every candidate row. */
function candidateRows(index: TenantIndex, query: TraceQuery): readonly IndexedTraceRow[] {
  let best: readonly IndexedTraceRow[] = index.traces;
  for (const { property, value } of query.equals) {
    const list =
      property === 'recipientAddress'
        ? index.tracesByRecipient.get(value.toLowerCase())
        : property === 'messageId'
          ? index.tracesByMessageId.get(value)
          : property === 'id'
            ? index.tracesById.get(value.toLowerCase())
            : best;
    if (!list) return [];
    if (list.length < best.length) best = list;
  }
  return best;
}

/** First position in a newest-first list whose row is not newer than `ms`. */
function firstAtOrBefore(rows: readonly IndexedTraceRow[], ms: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid] as IndexedTraceRow).t > ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const TRACE_QUERY_OPTIONS: ReadonlySet<string> = new Set(['$filter', '$top', '$skiptoken']);

export function listMessageTraces(
  req: SimRequest,
  index: TenantIndex,
  options: Map<string, string>,
): SimResponse {
  const nowMs = req.now.getTime();
  let top: number;
  let query: TraceQuery;
  let startMs: number;
  let endMs: number;
  let resume: ResumePoint | undefined;
  try {
    // Documented: "This method supports the $filter, $top and $skiptoken OData query parameters" (List
    // messageTraces). What the service answers to any other is not documented: refusing it (our assumption) keeps
    // a client from passing here while the service answers as if the option were not there.
    const unsupported = [...options.keys()].find((name) => name.startsWith('$') && !TRACE_QUERY_OPTIONS.has(name));
    if (unsupported !== undefined) {
      throw new TraceQueryError(`The query parameter '${unsupported}' is not supported by this API.`);
    }
    top = parseTop(options) ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
      throw new TraceQueryError(
        `Invalid page size '${options.get('$top') ?? ''}': $top must be between 1 and ${MAX_PAGE_SIZE}.`,
      );
    }
    query = parseTraceFilter(options.get('$filter'));
    const rawToken = options.get('$skiptoken');
    if (rawToken !== undefined) {
      resume = decodeTraceSkipToken(rawToken);
      startMs = resume.startMs;
      endMs = resume.endMs;
    } else if (query.startMs !== undefined && query.endMs !== undefined) {
      startMs = query.startMs;
      endMs = query.endMs;
      checkWindow(startMs, endMs, nowMs);
    } else {
      // Without a date filter the service reports the previous 48 hours, in whole seconds like its timestamps.
      endMs = Math.floor(nowMs / 1000) * 1000;
      startMs = endMs - DEFAULT_WINDOW_MS;
    }
  } catch (error) {
    if (error instanceof TraceQueryError) return graphError(req, 400, 'BadRequest', error.message);
    throw error;
  }

  const matches = rowMatcher(query);
  const rows = candidateRows(index, query);
  const page: Record<string, unknown>[] = [];
  let last: IndexedTraceRow | undefined;
  let more = false;
  for (let i = firstAtOrBefore(rows, endMs); i < rows.length; i++) {
    const entry = rows[i] as IndexedTraceRow;
    if (entry.t < startMs) break;
    if (
      resume &&
      compareTraceOrder(entry, {
        t: resume.endMs,
        recipientLower: resume.recipientLower,
        id: resume.messageTraceId,
      }) <= 0
    ) {
      continue;
    }
    if (entry.visibleMs > nowMs) continue;
    const status = shownStatus(req, statusAt(entry, nowMs));
    if (!matches(entry, status)) continue;
    if (page.length === top) {
      more = true;
      break;
    }
    page.push(shapeRow(req, entry, status));
    last = entry;
  }

  const body: Record<string, unknown> = {
    '@odata.context': `${req.baseUrl}/$metadata#admin/exchange/tracing/messageTraces`,
    value: page,
  };
  if (more && last) {
    const token = {
      startDate: formatTimestamp(startMs),
      endDate: formatTimestamp(last.t),
      startingRecipientAddress: last.row.recipientAddress,
      resultSize: top,
      messageTraceId: last.row.id,
    };
    const skiptoken =
      req.faults.brokenSkiptoken > 0 && req.random() < req.faults.brokenSkiptoken
        ? brokenTraceSkipToken(token, req.random())
        : encodeTraceSkipToken(token);
    const filter = options.get('$filter');
    body['@odata.nextLink'] =
      `${req.baseUrl}${req.path}?` +
      (filter === undefined ? '' : `$filter=${encodeURIComponent(filter)}&`) +
      `$top=${top}&$skiptoken=${encodeURIComponent(skiptoken)}`;
  }
  return { status: 200, body };
}
