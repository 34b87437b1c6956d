// The Graph `exchangeMessageTrace` object as the collector receives it, and the few rules every consumer of it
// shares: how statuses are compared, how a row is keyed, how a row from the wire is validated.

/** One message-trace row: one message and one recipient (Graph `exchangeMessageTrace`). */
export interface TraceRow {
  /** Message trace id, shared by every recipient row of one message. */
  id: string;
  /** The Message-ID header, angle brackets kept. */
  messageId: string;
  senderAddress: string;
  recipientAddress: string;
  /** UTC instant as Graph sent it (e.g. 2026-01-20T10:00:00Z). */
  receivedDateTime: string;
  subject: string;
  /** Bytes (Graph Int32). */
  size: number;
  fromIP: string;
  /** Empty for mail coming into Exchange Online. */
  toIP: string;
  /** Graph's value, untouched (its casing varies between v1.0 and beta); compare with normalizeStatus. */
  status: string;
  '@odata.type'?: string;
}

export const TRACE_STATUSES = [
  'gettingStatus',
  'pending',
  'failed',
  'delivered',
  'expanded',
  'quarantined',
  'filteredAsSpam',
  'recalled',
  'unknownFutureValue',
] as const;

export type TraceStatus = (typeof TRACE_STATUSES)[number];

const STATUS_BY_LOWER: ReadonlyMap<string, TraceStatus> = new Map(
  TRACE_STATUSES.map((s) => [s.toLowerCase(), s]),
);

/**
 * Graph's status in its canonical camelCase. v1.0 answers `delivered`, beta `Delivered`; a value this version
 * does not know (Microsoft adds members behind `unknownFutureValue`) becomes 'unknownFutureValue' rather than
 * an error, so that a new enum member never stops collection. The raw value stays in the row.
 */
export function normalizeStatus(status: string): TraceStatus {
  return STATUS_BY_LOWER.get(status.trim().toLowerCase()) ?? 'unknownFutureValue';
}

/** gettingStatus and pending change later to a final status; a collector must re-read such rows. */
export function isTransientStatus(status: string): boolean {
  const s = normalizeStatus(status);
  return s === 'gettingStatus' || s === 'pending';
}

/** Identity of a row: the trace id is shared by all recipients of a message, so the recipient is part of it. */
export function rowKey(row: Pick<TraceRow, 'id' | 'recipientAddress'>): string {
  return row.id + '\u0000' + row.recipientAddress.toLowerCase();
}

/** The row's receivedDateTime as a normalized RFC 3339 UTC instant (toISOString form). */
export function receivedAtIso(row: Pick<TraceRow, 'receivedDateTime'>): string {
  return toUtcIso(row.receivedDateTime);
}

const HAS_ZONE = /(Z|[+-]\d\d:?\d\d)$/i;
const ISO_LIKE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?/;

/** Parses a Graph timestamp; one without a zone designator is UTC (Graph's documented zone), never local time. */
export function toUtcIso(value: string): string {
  // Fast path for Graph's usual form (YYYY-MM-DDThh:mm:ssZ): the store and ECS call this once per row.
  // Days past 28 and hour 24 are left to the slow path, where Date rolls them over as it always has.
  if (value.length === 20 && value.charCodeAt(19) === 90 && value.charCodeAt(10) === 84) {
    const dayAndHourSafe = value.slice(8, 10) <= '28' && value.slice(11, 13) <= '23';
    if (dayAndHourSafe && ISO_LIKE.test(value) && Number.isFinite(Date.parse(value))) {
      return value.slice(0, 19) + '.000Z';
    }
  }
  const ms = parseUtcMs(value);
  if (ms === undefined) throw new TraceRowError(`not an RFC 3339 timestamp: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

export function parseUtcMs(value: string): number | undefined {
  if (!ISO_LIKE.test(value)) return undefined;
  const ms = Date.parse(HAS_ZONE.test(value) ? value : value + 'Z');
  return Number.isFinite(ms) ? ms : undefined;
}

/** A row from Graph that does not have the shape of an exchangeMessageTrace. */
export class TraceRowError extends Error {
  override readonly name = 'TraceRowError';
}

const STRING_FIELDS = [
  'id',
  'messageId',
  'senderAddress',
  'recipientAddress',
  'receivedDateTime',
  'status',
] as const;
/** Graph sends null for these when there is nothing (no subject; no IP for mail coming in): '' in the row. */
const NULLABLE_STRING_FIELDS = ['subject', 'fromIP', 'toIP'] as const;

/** The Graph object each parsed row was made from, untouched (weakly held: it lives as long as the row). */
const GRAPH_OBJECTS = new WeakMap<TraceRow, Readonly<Record<string, unknown>>>();

/**
 * The object Graph sent for this row, exactly as sent (nulls kept): what the store's raw column and the sinks
 * that forward Graph's object (Sekoia's intake parses it) must carry. A row not made by parseTraceRow (built in
 * code, or a copy) is its own Graph object.
 */
export function graphObject(row: TraceRow): Readonly<Record<string, unknown>> {
  return GRAPH_OBJECTS.get(row) ?? (row as unknown as Record<string, unknown>);
}

/**
 * Validates one element of a messageTraces `value` array and returns a working copy: unknown extra properties
 * kept, nulls in subject/fromIP/toIP turned into ''. The input is never modified; graphObject(row) returns it.
 * Throws TraceRowError naming the field.
 */
export function parseTraceRow(input: unknown): TraceRow {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TraceRowError(`message trace row must be a JSON object, got ${describe(input)}`);
  }
  const obj = input as Record<string, unknown>;
  const where = typeof obj.id === 'string' ? ` (row id ${JSON.stringify(obj.id)})` : '';
  const out: Record<string, unknown> = { ...obj };
  for (const field of STRING_FIELDS) {
    const v = obj[field];
    if (typeof v !== 'string') {
      throw new TraceRowError(
        `message trace row${where}: field "${field}" must be a string, got ${describe(v)}`,
      );
    }
  }
  let normalized = false;
  for (const field of NULLABLE_STRING_FIELDS) {
    const v = obj[field];
    if (v === null) {
      out[field] = '';
      normalized = true;
    } else if (typeof v !== 'string') {
      throw new TraceRowError(
        `message trace row${where}: field "${field}" must be a string, got ${describe(v)}`,
      );
    }
  }
  if (obj.id === '') throw new TraceRowError('message trace row: field "id" is empty');
  if (obj.recipientAddress === '') {
    throw new TraceRowError(`message trace row${where}: field "recipientAddress" is empty`);
  }
  const size = obj.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new TraceRowError(
      `message trace row${where}: field "size" must be a non-negative integer, got ${describe(size)}`,
    );
  }
  if (parseUtcMs(obj.receivedDateTime as string) === undefined) {
    throw new TraceRowError(
      `message trace row${where}: field "receivedDateTime" is not an RFC 3339 timestamp: ${JSON.stringify(obj.receivedDateTime)}`,
    );
  }
  const odataType = obj['@odata.type'];
  if (odataType !== undefined && typeof odataType !== 'string') {
    throw new TraceRowError(
      `message trace row${where}: field "@odata.type" must be a string, got ${describe(odataType)}`,
    );
  }
  const row = out as unknown as TraceRow;
  // Only a row that differs from Graph's object needs the link (a map entry per row would cost throughput).
  if (normalized) GRAPH_OBJECTS.set(row, obj);
  return row;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return `a ${typeof v}`;
}
