// Message-trace rows in the store: change detection on upsert (so the collector emits each (row, status) once)
// and the queries behind `mailtrace trace --local`.

import {
  graphObject,
  normalizeStatus,
  parseTraceRow,
  parseUtcMs,
  type TraceRow,
  type TraceStatus,
  toUtcIso,
} from '../trace/model.ts';
import { type Db, invalid } from './db.ts';

export type TraceChange =
  | { kind: 'new'; row: TraceRow }
  | { kind: 'statusChanged'; row: TraceRow; previousStatus: TraceStatus };

export interface StoredTraceRow {
  tenant: string;
  /** The working row of the Graph object last stored (the newest status's version of it; nulls read as ''). */
  row: TraceRow;
  status: TraceStatus;
  firstSeen: string;
  lastChanged: string;
}

export interface TraceQuery {
  tenant?: string;
  /** Exact Message-ID; given without angle brackets it also matches the bracketed form. */
  messageId?: string;
  /** Exact address, case-insensitive. */
  sender?: string;
  recipient?: string;
  /** Any casing of a Graph status. */
  status?: string;
  /** Case-insensitive substring of the subject (no wildcards). */
  subjectContains?: string;
  /** Inclusive bounds on receivedDateTime. */
  since?: Date | number | string;
  until?: Date | number | string;
  /** Default 1000. */
  limit?: number;
}

export interface TraceStats {
  rows: number;
  /** Status changes observed after a row was first stored. */
  statusChanges: number;
  byStatus: Partial<Record<TraceStatus, number>>;
  oldestReceivedAt: string | null;
  newestReceivedAt: string | null;
  /** When rows were last upserted (the seenAt of the latest batch), changed or not. */
  lastSeen: string | null;
}

const SELECT_STATUS = 'SELECT status FROM trace_rows WHERE tenant = ? AND trace_id = ? AND recipient = ?';
const INSERT_ROW = `INSERT INTO trace_rows (tenant, trace_id, recipient, message_id, sender, received_at, subject,
  size, status, first_seen, last_changed, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_STATUS = `UPDATE trace_rows SET status = ?, last_changed = ?, raw = ?
  WHERE tenant = ? AND trace_id = ? AND recipient = ?`;
// OR IGNORE: a row that flaps back to a status within one batch repeats (row, seenAt, status) exactly.
const INSERT_HISTORY =
  'INSERT OR IGNORE INTO status_history (tenant, trace_id, recipient, status, seen_at) VALUES (?, ?, ?, ?, ?)';
const TOUCH_TENANT = `INSERT INTO tenant_activity (tenant, last_seen) VALUES (?, ?)
  ON CONFLICT (tenant) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`;

export function upsertTraceRows(
  db: Db,
  tenant: string,
  rows: readonly TraceRow[],
  seenAt: string,
): TraceChange[] {
  requireTenant(tenant);
  const seen = isoOrThrow(seenAt, 'seenAt');
  // Normalize before the transaction so that a malformed row rejects the batch without taking the write lock.
  const prepared = rows.map((row) => {
    try {
      return {
        row,
        recipient: row.recipientAddress.toLowerCase(),
        status: normalizeStatus(row.status),
        receivedAt: toUtcIso(row.receivedDateTime),
      };
    } catch (error) {
      throw invalid(`cannot store message trace row ${JSON.stringify(row?.id)}: ${(error as Error).message}`);
    }
  });
  const select = db.prepare(SELECT_STATUS);
  const insert = db.prepare(INSERT_ROW);
  const update = db.prepare(UPDATE_STATUS);
  const history = db.prepare(INSERT_HISTORY);
  const changes: TraceChange[] = [];
  db.transaction(() => {
    for (const p of prepared) {
      const { row, recipient, status } = p;
      const existing = select.get(tenant, row.id, recipient) as { status: TraceStatus } | undefined;
      if (existing === undefined) {
        insert.run(
          tenant,
          row.id,
          recipient,
          row.messageId,
          row.senderAddress,
          p.receivedAt,
          row.subject,
          row.size,
          status,
          seen,
          seen,
          // The raw column keeps Graph's object as sent (nulls included), not the working copy.
          JSON.stringify(graphObject(row)),
        );
        history.run(tenant, row.id, recipient, status, seen);
        changes.push({ kind: 'new', row });
      } else if (existing.status !== status) {
        update.run(status, seen, JSON.stringify(graphObject(row)), tenant, row.id, recipient);
        history.run(tenant, row.id, recipient, status, seen);
        changes.push({ kind: 'statusChanged', row, previousStatus: existing.status });
      }
    }
    db.prepare(TOUCH_TENANT).run(tenant, seen);
  });
  return changes;
}

interface TraceRowRecord {
  tenant: string;
  status: TraceStatus;
  first_seen: string;
  last_changed: string;
  raw: string;
}

export function queryTraceRows(db: Db, query: TraceQuery = {}): StoredTraceRow[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.tenant !== undefined) {
    where.push('tenant = ?');
    params.push(query.tenant);
  }
  if (query.messageId !== undefined) {
    const id = query.messageId.trim();
    if (id.startsWith('<')) {
      where.push('message_id = ?');
      params.push(id);
    } else {
      where.push('message_id IN (?, ?)');
      params.push(id, `<${id}>`);
    }
  }
  if (query.sender !== undefined) {
    where.push('sender = ? COLLATE NOCASE');
    params.push(query.sender.trim());
  }
  if (query.recipient !== undefined) {
    where.push('recipient = ?');
    params.push(query.recipient.trim().toLowerCase());
  }
  if (query.status !== undefined) {
    where.push('status = ?');
    params.push(normalizeStatus(query.status));
  }
  if (query.subjectContains !== undefined) {
    where.push('instr(lower(subject), lower(?)) > 0');
    params.push(query.subjectContains);
  }
  if (query.since !== undefined) {
    where.push('received_at >= ?');
    params.push(isoOrThrow(query.since, 'since'));
  }
  if (query.until !== undefined) {
    where.push('received_at <= ?');
    params.push(isoOrThrow(query.until, 'until'));
  }
  const limit = query.limit ?? 1000;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw invalid(`limit must be a positive integer, got ${limit}`);
  params.push(limit);
  const sql =
    'SELECT tenant, status, first_seen, last_changed, raw FROM trace_rows' +
    // Without statistics SQLite prefers the received_at index (it gives the order for free) even when a
    // message id narrows the rows to a handful: 60 ms instead of 0.1 ms on 100k rows.
    (query.messageId !== undefined ? ' INDEXED BY trace_rows_by_message' : '') +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY received_at DESC, trace_id, recipient LIMIT ?';
  const records = db.prepare(sql).all(...params) as unknown as TraceRowRecord[];
  return records.map((r) => ({
    tenant: r.tenant,
    row: workingRow(r.raw),
    status: r.status,
    firstSeen: r.first_seen,
    lastChanged: r.last_changed,
  }));
}

/** The raw column as a working row (linked to the stored Graph object, see graphObject). */
function workingRow(raw: string): TraceRow {
  const stored: unknown = JSON.parse(raw);
  try {
    return parseTraceRow(stored);
  } catch {
    // Stored before validation was this strict: shown as it is rather than hidden.
    return stored as TraceRow;
  }
}

export function traceStats(db: Db, tenant?: string): TraceStats {
  const filter = tenant === undefined ? '' : ' WHERE tenant = ?';
  const args = tenant === undefined ? [] : [tenant];
  const totals = db
    .prepare(
      `SELECT count(*) AS n, min(received_at) AS oldest, max(received_at) AS newest FROM trace_rows${filter}`,
    )
    .get(...args) as { n: number; oldest: string | null; newest: string | null };
  const byStatus: Partial<Record<TraceStatus, number>> = {};
  const groups = db
    .prepare(`SELECT status, count(*) AS n FROM trace_rows${filter} GROUP BY status ORDER BY status`)
    .all(...args) as unknown as { status: TraceStatus; n: number }[];
  for (const g of groups) byStatus[g.status] = g.n;
  const history = db.prepare(`SELECT count(*) AS n FROM status_history${filter}`).get(...args) as {
    n: number;
  };
  const activity = db.prepare(`SELECT max(last_seen) AS last FROM tenant_activity${filter}`).get(...args) as {
    last: string | null;
  };
  return {
    rows: totals.n,
    // Every stored row has exactly one history entry for its first status; the rest are changes.
    statusChanges: history.n - totals.n,
    byStatus,
    oldestReceivedAt: totals.oldest,
    newestReceivedAt: totals.newest,
    lastSeen: activity.last,
  };
}

export function requireTenant(tenant: string): void {
  if (typeof tenant !== 'string' || tenant.trim() === '') throw invalid('tenant must be a non-empty string');
}

export function isoOrThrow(value: Date | number | string, name: string): string {
  const ms =
    typeof value === 'string'
      ? parseUtcMs(value)
      : typeof value === 'number'
        ? value
        : (value as Date).getTime();
  if (ms === undefined || !Number.isFinite(ms)) {
    throw invalid(`${name} is not a valid RFC 3339 timestamp: ${JSON.stringify(value)}`);
  }
  return new Date(ms).toISOString();
}
