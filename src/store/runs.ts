// A record of every collect / investigate run: what was asked, how it ended, and what failed, so that
// `mailtrace runs` can answer "did last night's collection finish, and what did it miss?".

import { randomUUID } from 'node:crypto';
import { type Db, invalid } from './db.ts';
import { requireTenant } from './traces.ts';

export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

export interface RunRecord {
  id: string;
  kind: string;
  tenant: string;
  params: unknown;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  summary: unknown;
  failures: unknown;
}

export interface StartRun {
  kind: string;
  tenant: string;
  params?: unknown;
}

export interface FinishRun {
  status: Exclude<RunStatus, 'running'>;
  summary?: unknown;
  failures?: unknown;
}

export interface ListRuns {
  tenant?: string;
  kind?: string;
  status?: RunStatus;
  /** Default 50. */
  limit?: number;
}

interface RunRow {
  id: string;
  kind: string;
  tenant: string;
  params: string;
  started_at: string;
  ended_at: string | null;
  status: RunStatus;
  summary: string | null;
  failures: string | null;
}

export function startRun(db: Db, run: StartRun, startedAt: string): string {
  requireTenant(run.tenant);
  if (run.kind === '') throw invalid('run kind must not be empty');
  const id = randomUUID();
  db.prepare(
    "INSERT INTO runs (id, kind, tenant, params, started_at, status) VALUES (?, ?, ?, ?, ?, 'running')",
  ).run(id, run.kind, run.tenant, JSON.stringify(run.params ?? {}), startedAt);
  return id;
}

export function finishRun(db: Db, id: string, finish: FinishRun, endedAt: string): void {
  const result = db
    .prepare(
      "UPDATE runs SET status = ?, ended_at = ?, summary = ?, failures = ? WHERE id = ? AND status = 'running'",
    )
    .run(
      finish.status,
      endedAt,
      finish.summary === undefined ? null : JSON.stringify(finish.summary),
      finish.failures === undefined ? null : JSON.stringify(finish.failures),
      id,
    );
  if (Number(result.changes) === 0) {
    const exists = db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as
      | { status: string }
      | undefined;
    throw invalid(exists ? `run ${id} already finished (${exists.status})` : `no run with id ${id}`);
  }
}

export function getRun(db: Db, id: string): RunRecord | undefined {
  const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  return row ? toRecord(row) : undefined;
}

export function listRuns(db: Db, filter: ListRuns = {}): RunRecord[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.tenant !== undefined) {
    where.push('tenant = ?');
    params.push(filter.tenant);
  }
  if (filter.kind !== undefined) {
    where.push('kind = ?');
    params.push(filter.kind);
  }
  if (filter.status !== undefined) {
    where.push('status = ?');
    params.push(filter.status);
  }
  const limit = filter.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw invalid(`limit must be a positive integer, got ${limit}`);
  params.push(limit);
  const sql =
    'SELECT * FROM runs' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY started_at DESC, rowid DESC LIMIT ?';
  return (db.prepare(sql).all(...params) as unknown as RunRow[]).map(toRecord);
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    tenant: row.tenant,
    params: JSON.parse(row.params),
    startedAt: row.started_at,
    endedAt: row.ended_at,
    status: row.status,
    summary: row.summary === null ? null : JSON.parse(row.summary),
    failures: row.failures === null ? null : JSON.parse(row.failures),
  };
}
