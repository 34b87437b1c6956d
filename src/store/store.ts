// The embedded store: one SQLite file (node:sqlite, WAL) holding message-trace rows and their status history,
// checkpoints, the shared quota ledger and the record of runs. Every public method either succeeds or throws a
// StoreError; nothing else escapes.

import { DatabaseSync } from 'node:sqlite';
import { MESSAGE_TRACE_QUOTA, type QuotaLedger, type QuotaPolicy } from '../graph/types.ts';
import type { TraceRow } from '../trace/model.ts';
import {
  type CheckpointRecord,
  getCheckpointRecord,
  type SetCheckpointOptions,
  setCheckpoint as writeCheckpoint,
} from './checkpoints.ts';
import { Db, invalid } from './db.ts';
import { toStoreError } from './errors.ts';
import {
  type AcquireLeaseOptions,
  acquireLease,
  assertFence,
  getLease,
  type Lease,
  type LeaseAttempt,
  type LeaseClaim,
  type LeaseFence,
  releaseLease,
  renewLease,
} from './leases.ts';
import { SqliteQuotaLedger } from './quota.ts';
import {
  type FinishRun,
  finishRun,
  getRun,
  type ListRuns,
  listRuns,
  type RunRecord,
  type StartRun,
  startRun,
} from './runs.ts';
import { migrate } from './schema.ts';
import {
  isoOrThrow,
  queryTraceRows,
  type StoredTraceRow,
  type TraceChange,
  type TraceQuery,
  type TraceStats,
  traceStats,
  upsertTraceRows,
} from './traces.ts';

export interface StoreOptions {
  /** How long a write waits for another process's write lock before failing with StoreError 'locked'. */
  busyTimeoutMs?: number;
  /** Cap on the file size: writes beyond it fail with StoreError 'full' (as a full disk would). */
  maxSizeBytes?: number;
  /** Time source for updated_at / started_at stamps (tests pass a fixed one). */
  now?: () => number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export class Store {
  readonly path: string;
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.path = db.path;
    this.#now = now;
  }

  /**
   * Stores a batch in one transaction and returns what is new: rows never seen, and rows whose normalized status
   * differs from the stored one. A row seen again with the same status yields nothing.
   */
  upsertTraceRows(tenant: string, rows: readonly TraceRow[], seenAt: string): TraceChange[] {
    return this.#db.guard('storing message trace rows', () =>
      upsertTraceRows(this.#db, tenant, rows, seenAt),
    );
  }

  queryTraceRows(query: TraceQuery = {}): StoredTraceRow[] {
    return this.#db.guard('querying message trace rows', () => queryTraceRows(this.#db, query));
  }

  stats(tenant?: string): TraceStats {
    return this.#db.guard('reading statistics', () => traceStats(this.#db, tenant));
  }

  getCheckpoint<T>(tenant: string, name: string): T | undefined {
    return this.getCheckpointRecord<T>(tenant, name)?.value;
  }

  getCheckpointRecord<T>(tenant: string, name: string): CheckpointRecord<T> | undefined {
    return this.#db.guard(`reading checkpoint ${name}`, () => getCheckpointRecord<T>(this.#db, tenant, name));
  }

  /** Writes the checkpoint atomically and returns its new version. */
  setCheckpoint(tenant: string, name: string, value: unknown, options?: SetCheckpointOptions): number {
    return this.#db.guard(`writing checkpoint ${name}`, () =>
      writeCheckpoint(this.#db, tenant, name, value, this.#stamp(), options),
    );
  }

  /**
   * Runs `fn` (synchronous) in one write transaction: e.g. store a batch and advance the checkpoint together,
   * so that a crash leaves both or neither.
   */
  transaction<T>(fn: () => T, options: { fence?: LeaseFence } = {}): T {
    const fence = options.fence;
    return this.#db.guard('transaction', () =>
      this.#db.transaction(() => {
        // Checked under the write lock, so no takeover can come between the check and the writes.
        if (fence) assertFence(this.#db, fence);
        return fn();
      }),
    );
  }

  /**
   * Takes the lease on `claim.scope` if it is free, expired, already this holder's, or `abandoned` says its
   * holder is gone; otherwise says who holds it. Times are epoch ms of the caller's clock (`now`).
   */
  acquireLease(claim: LeaseClaim, options: AcquireLeaseOptions): LeaseAttempt {
    return this.#db.guard(`taking the lease on ${claim.scope}`, () => acquireLease(this.#db, claim, options));
  }

  /** Extends a held lease to now + ttlMs; StoreError 'fenced' if another holder has it now. */
  renewLease(fence: LeaseFence, ttlMs: number, now: number): Lease {
    return this.#db.guard(`renewing the lease on ${fence.scope}`, () =>
      renewLease(this.#db, fence, ttlMs, now),
    );
  }

  /** Frees a held lease at once; false (and nothing changed) if it was not this holder's any more. */
  releaseLease(fence: LeaseFence, now: number): boolean {
    return this.#db.guard(`releasing the lease on ${fence.scope}`, () => releaseLease(this.#db, fence, now));
  }

  /** Throws StoreError 'fenced' unless `fence` still holds its scope (a read: for checks outside the store). */
  assertLease(fence: LeaseFence): void {
    this.#db.guard(`checking the lease on ${fence.scope}`, () => assertFence(this.#db, fence));
  }

  getLease(scope: string): Lease | undefined {
    return this.#db.guard(`reading the lease on ${scope}`, () => getLease(this.#db, scope));
  }

  /** The tenant-wide quota ledger shared by every process that opens this store file. */
  quotaLedger(policy: QuotaPolicy = MESSAGE_TRACE_QUOTA): QuotaLedger {
    return new SqliteQuotaLedger(this.#db, policy);
  }

  startRun(run: StartRun): string {
    return this.#db.guard('starting a run', () => startRun(this.#db, run, this.#stamp()));
  }

  finishRun(id: string, finish: FinishRun): void {
    this.#db.guard('finishing a run', () => finishRun(this.#db, id, finish, this.#stamp()));
  }

  getRun(id: string): RunRecord | undefined {
    return this.#db.guard('reading a run', () => getRun(this.#db, id));
  }

  listRuns(filter: ListRuns = {}): RunRecord[] {
    return this.#db.guard('listing runs', () => listRuns(this.#db, filter));
  }

  close(): void {
    this.#db.guard('closing', () => this.#db.close());
  }

  #stamp(): string {
    return isoOrThrow(this.#now(), 'clock');
  }
}

/** Opens (creating and migrating when needed) the store at `path`, or an in-memory one for ':memory:'. */
export function openStore(path: string, options: StoreOptions = {}): Store {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw invalid(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }
  let raw: DatabaseSync | undefined;
  try {
    raw = new DatabaseSync(path, { timeout: busyTimeoutMs });
    raw.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    raw.exec('PRAGMA foreign_keys = ON');
    // WAL lets `trace --local` read while a collector writes; NORMAL sync is durable across process crashes.
    raw.exec('PRAGMA journal_mode = WAL');
    raw.exec('PRAGMA synchronous = NORMAL');
    raw.exec('PRAGMA cache_size = -32768');
    if (options.maxSizeBytes !== undefined) {
      const pageSize = (raw.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
      raw.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
    }
    migrate(raw, path);
    return new Store(new Db(raw, path, busyTimeoutMs), options.now ?? Date.now);
  } catch (error) {
    if (raw?.isOpen) raw.close();
    throw toStoreError(error, path, 'opening', busyTimeoutMs);
  }
}
