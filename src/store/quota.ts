// The tenant-wide message-trace budget in SQLite, so that every process on the machine draws from one ledger.
// Each take is one BEGIN IMMEDIATE transaction (count the rolling window, then insert), which serialises
// concurrent takers across processes: two processes cannot both take the last request of a window.

import {
  MESSAGE_TRACE_QUOTA,
  type QuotaClaim,
  type QuotaLedger,
  type QuotaPolicy,
  type QuotaPriority,
} from '../graph/types.ts';
import type { Db } from './db.ts';

type Bucket = QuotaClaim['bucket'];

const PRUNE = 'DELETE FROM quota_ledger WHERE tenant = ? AND bucket = ? AND taken_at <= ?';
const COUNT = 'SELECT count(*) AS n FROM quota_ledger WHERE tenant = ? AND bucket = ? AND taken_at > ?';
const NTH_OLDEST = `SELECT taken_at FROM quota_ledger WHERE tenant = ? AND bucket = ? AND taken_at > ?
  ORDER BY taken_at LIMIT 1 OFFSET ?`;
const INSERT = 'INSERT INTO quota_ledger (tenant, bucket, taken_at) VALUES (?, ?, ?)';

export class SqliteQuotaLedger implements QuotaLedger {
  readonly #db: Db;
  readonly #policy: QuotaPolicy;

  constructor(db: Db, policy: QuotaPolicy = MESSAGE_TRACE_QUOTA) {
    this.#db = db;
    this.#policy = policy;
  }

  tryTake(
    tenantId: string,
    bucket: Bucket,
    priority: QuotaPriority,
    nowMs: number,
  ): { granted: true } | { granted: false; retryAtMs: number } {
    const db = this.#db;
    const { limit, windowMs, reserve } = this.#policy;
    // A claim of this priority may use the window up to `cap`; the rest is kept for higher priorities.
    const cap = limit - reserve[priority];
    const windowStart = nowMs - windowMs;
    return db.guard('quota tryTake', () =>
      db.transaction(() => {
        db.prepare(PRUNE).run(tenantId, bucket, windowStart);
        const used = (db.prepare(COUNT).get(tenantId, bucket, windowStart) as { n: number }).n;
        if (used < cap) {
          db.prepare(INSERT).run(tenantId, bucket, nowMs);
          return { granted: true } as const;
        }
        if (cap <= 0) return { granted: false, retryAtMs: nowMs + windowMs } as const;
        // Room opens when the (used − cap + 1)-th oldest use leaves the window.
        const oldest = db.prepare(NTH_OLDEST).get(tenantId, bucket, windowStart, used - cap) as
          | { taken_at: number }
          | undefined;
        const retryAtMs = oldest ? oldest.taken_at + windowMs : nowMs + windowMs;
        return { granted: false, retryAtMs: Math.max(retryAtMs, nowMs + 1) } as const;
      }),
    );
  }

  used(tenantId: string, bucket: Bucket, nowMs: number): number {
    const db = this.#db;
    return db.guard(
      'quota used',
      () => (db.prepare(COUNT).get(tenantId, bucket, nowMs - this.#policy.windowMs) as { n: number }).n,
    );
  }
}
