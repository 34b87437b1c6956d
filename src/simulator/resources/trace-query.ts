// Message-trace $filter and $skiptoken rules (graph-reference.md §2), kept apart from the page builder so
// that each rule is one small function with one clear error.
import { conjuncts, type FilterExpr, ODataSyntaxError, parseFilter } from './odata.ts';

/** A client mistake in a message-trace query; always answered with HTTP 400. */
export class TraceQueryError extends Error {
  override name = 'TraceQueryError';
}

export const TRACE_STATUSES = [
  'gettingStatus',
  'pending',
  'failed',
  'delivered',
  'expanded',
  'quarantined',
  'filteredAsSpam',
  'unknownFutureValue',
  'recalled',
] as const;

export type TraceEqProperty =
  | 'id'
  | 'messageId'
  | 'senderAddress'
  | 'recipientAddress'
  | 'fromIP'
  | 'toIP'
  | 'status';

const EQ_PROPERTIES = new Map<string, TraceEqProperty>(
  (['id', 'messageId', 'senderAddress', 'recipientAddress', 'fromIP', 'toIP', 'status'] as const).map((p) => [
    p.toLowerCase(),
    p,
  ]),
);

export interface TraceQuery {
  /** Epoch ms of `receivedDateTime ge`, when given. */
  startMs: number | undefined;
  /** Epoch ms of `receivedDateTime le`, when given. */
  endMs: number | undefined;
  equals: { property: TraceEqProperty; value: string }[];
  subject: { match: 'contains' | 'startswith' | 'endswith'; value: string }[];
}

const STRICT_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Parses `YYYY-MM-DDThh:mm:ssZ` (and nothing looser) to epoch ms; undefined when it is not one. */
export function parseStrictTimestamp(text: string): number | undefined {
  if (!STRICT_TIMESTAMP.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== text.slice(0, 19) ? undefined : ms;
}

export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The service keeps one value per property: of an `or`, only the first operand survives (observed upstream). */
function dropOrBranches(expr: FilterExpr): FilterExpr {
  switch (expr.kind) {
    case 'or':
      return dropOrBranches(expr.left);
    case 'and':
      return { kind: 'and', left: dropOrBranches(expr.left), right: dropOrBranches(expr.right) };
    case 'not':
      return { kind: 'not', operand: dropOrBranches(expr.operand) };
    default:
      return expr;
  }
}

export function parseTraceFilter(raw: string | undefined): TraceQuery {
  const query: TraceQuery = { startMs: undefined, endMs: undefined, equals: [], subject: [] };
  if (raw === undefined) return query;
  let expr: FilterExpr;
  try {
    expr = dropOrBranches(parseFilter(raw));
  } catch (error) {
    if (error instanceof ODataSyntaxError)
      throw new TraceQueryError(`Invalid filter clause: ${error.message}`);
    throw error;
  }
  for (const clause of conjuncts(expr)) {
    if (clause.kind === 'compare' && clause.property.toLowerCase() === 'receiveddatetime') {
      if (clause.op !== 'ge' && clause.op !== 'le') {
        throw new TraceQueryError(
          `Operator '${clause.op}' is not supported on receivedDateTime: use ge and le.`,
        );
      }
      const text = clause.value.type === 'datetime' ? clause.value.text : '';
      const ms = parseStrictTimestamp(text);
      if (ms === undefined) {
        throw new TraceQueryError(
          `Invalid receivedDateTime value in $filter: use the format YYYY-MM-DDThh:mm:ssZ (UTC), unquoted.`,
        );
      }
      if (clause.op === 'ge') query.startMs = ms;
      else query.endMs = ms;
    } else if (clause.kind === 'compare') {
      const property = EQ_PROPERTIES.get(clause.property.toLowerCase());
      if (!property) {
        throw new TraceQueryError(`Filtering on property '${clause.property}' is not supported.`);
      }
      if (clause.op !== 'eq') {
        throw new TraceQueryError(`Operator '${clause.op}' is not supported on ${property}: only eq is.`);
      }
      if (clause.value.type !== 'string') {
        throw new TraceQueryError(`The value compared with ${property} must be a quoted string.`);
      }
      let value = clause.value.value;
      if (property === 'status') {
        const known = TRACE_STATUSES.find((s) => s.toLowerCase() === value.toLowerCase());
        if (!known) throw new TraceQueryError(`The status value '${value}' is not valid.`);
        value = known;
      }
      query.equals.push({ property, value });
    } else if (clause.kind === 'call') {
      if (clause.property.toLowerCase() !== 'subject') {
        throw new TraceQueryError(`Function '${clause.name}' is only supported on subject.`);
      }
      if (clause.name !== 'contains' && clause.name !== 'startswith' && clause.name !== 'endswith') {
        throw new TraceQueryError(`Function '${clause.name}' is not supported.`);
      }
      if (clause.value.type !== 'string')
        throw new TraceQueryError('The subject value must be a quoted string.');
      query.subject.push({ match: clause.name, value: clause.value.value });
    } else {
      throw new TraceQueryError(`Operator '${clause.kind}' is not supported in a message trace $filter.`);
    }
  }
  if ((query.startMs === undefined) !== (query.endMs === undefined)) {
    throw new TraceQueryError(
      'Both bounds of the receivedDateTime range are required: ' +
        'receivedDateTime ge {start} and receivedDateTime le {end}.',
    );
  }
  return query;
}

const DAY_MS = 86_400_000;

/** The time rules that depend on "now"; applied to a first page (a nextLink resumes a window already accepted). */
export function checkWindow(startMs: number, endMs: number, nowMs: number): void {
  if (startMs > endMs) throw new TraceQueryError('The start of the receivedDateTime range is after its end.');
  if (endMs - startMs > 10 * DAY_MS) {
    throw new TraceQueryError('The receivedDateTime range must not span more than 10 days.');
  }
  if (startMs < nowMs - 90 * DAY_MS) {
    throw new TraceQueryError('The start of the receivedDateTime range must not be more than 90 days ago.');
  }
  if (endMs > nowMs) {
    throw new TraceQueryError(
      'The end of the receivedDateTime range must not be later than the current time.',
    );
  }
}

// ---- $skiptoken ----

/** What a nextLink carries to resume after the last row it returned. */
export interface TraceSkipToken {
  startDate: string;
  /** receivedDateTime of the last row returned. */
  endDate: string;
  /** recipientAddress of the last row returned. */
  startingRecipientAddress: string;
  resultSize: number;
  /** Trace id of the last row returned, to break ties between rows of the same second and recipient. */
  messageTraceId: string;
}

const ADDRESS = /^[^\s@<>"',;()]+@[^\s@<>"',;()]+$/;

export function encodeTraceSkipToken(token: TraceSkipToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

export interface ResumePoint {
  startMs: number;
  endMs: number;
  recipientLower: string;
  messageTraceId: string;
}

export function decodeTraceSkipToken(raw: string): ResumePoint {
  let parsed: Partial<Record<keyof TraceSkipToken, unknown>>;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as typeof parsed;
  } catch {
    throw new TraceQueryError('Invalid skip token.');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new TraceQueryError('Invalid skip token.');
  const startMs = typeof parsed.startDate === 'string' ? parseStrictTimestamp(parsed.startDate) : undefined;
  const endMs = typeof parsed.endDate === 'string' ? parseStrictTimestamp(parsed.endDate) : undefined;
  if (startMs === undefined || endMs === undefined) {
    throw new TraceQueryError('Invalid skip token: its start date or end date is not a valid date.');
  }
  const address = parsed.startingRecipientAddress;
  if (typeof address !== 'string' || !ADDRESS.test(address)) {
    throw new TraceQueryError('Invalid starting recipient address.');
  }
  const size = parsed.resultSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 5000) {
    throw new TraceQueryError('Invalid skip token: invalid result size.');
  }
  return {
    startMs,
    endMs,
    recipientLower: address.toLowerCase(),
    messageTraceId: typeof parsed.messageTraceId === 'string' ? parsed.messageTraceId : '',
  };
}

/**
 * A skiptoken reproducing one of two upstream bugs (elastic/integrations#18134 doubly URL-encoded dates,
 * #18985 a starting recipient address the service then rejects). `pick` in [0, 1) chooses which.
 */
export function brokenTraceSkipToken(token: TraceSkipToken, pick: number): string {
  if (pick < 0.5) {
    const twice = (date: string) => encodeURIComponent(encodeURIComponent(date));
    return encodeTraceSkipToken({
      ...token,
      startDate: twice(token.startDate),
      endDate: twice(token.endDate),
    });
  }
  return encodeTraceSkipToken({ ...token, startingRecipientAddress: `<${token.startingRecipientAddress}>` });
}
