// Leases: one owner per scope (a collector per tenant and store). A holder takes the lease for a time-to-live,
// renews it while it works and releases it when done; a lease nobody renewed past its expiry, or whose holder
// the caller knows is dead, can be taken over, and every takeover raises the epoch. Writes made under a lease
// carry its fence (scope, holder, epoch) and are checked in the same write transaction (assertFence): a holder
// that was paused or cut off while another took over changes nothing. This is the shape the PostgreSQL backend
// will carry too (a row per scope, a conditional update), so nothing here depends on SQLite beyond SQL.

import { type Db, invalid } from './db.ts';
import { StoreError } from './errors.ts';

export interface Lease {
  scope: string;
  holder: string;
  epoch: number;
  host: string;
  pid: number;
  acquiredAt: number;
  renewedAt: number;
  expiresAt: number;
}

/** What a write under a lease proves it holds. */
export interface LeaseFence {
  scope: string;
  holder: string;
  epoch: number;
}

export interface LeaseClaim {
  scope: string;
  holder: string;
  host: string;
  pid: number;
  ttlMs: number;
}

export interface AcquireLeaseOptions {
  now: number;
  /**
   * Whether a live-looking lease of another holder is abandoned all the same (its process is known dead):
   * taken over at once instead of after its expiry.
   */
  abandoned?: (current: Lease) => boolean;
}

export type LeaseAttempt =
  | { acquired: true; lease: Lease; tookOverFrom?: Lease }
  | { acquired: false; heldBy: Lease };

interface LeaseRow {
  scope: string;
  holder: string;
  epoch: number;
  host: string;
  pid: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
}

export function getLease(db: Db, scope: string): Lease | undefined {
  const row = db.prepare('SELECT * FROM leases WHERE scope = ?').get(scope) as LeaseRow | undefined;
  return row && toLease(row);
}

export function acquireLease(db: Db, claim: LeaseClaim, options: AcquireLeaseOptions): LeaseAttempt {
  requireClaim(claim);
  const { now } = options;
  return db.transaction(() => {
    const current = getLease(db, claim.scope);
    const free =
      current === undefined ||
      current.expiresAt <= now ||
      current.holder === claim.holder ||
      options.abandoned?.(current) === true;
    if (!free) return { acquired: false, heldBy: current };
    const lease: Lease = {
      scope: claim.scope,
      holder: claim.holder,
      // The same holder asking again keeps its epoch (its fenced writes stay valid); anyone else starts a new one.
      epoch: current?.holder === claim.holder ? current.epoch : (current?.epoch ?? 0) + 1,
      host: claim.host,
      pid: claim.pid,
      acquiredAt: current?.holder === claim.holder ? current.acquiredAt : now,
      renewedAt: now,
      expiresAt: now + claim.ttlMs,
    };
    db.prepare(
      `INSERT INTO leases (scope, holder, epoch, host, pid, acquired_at, renewed_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, host = excluded.host,
         pid = excluded.pid, acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at,
         expires_at = excluded.expires_at`,
    ).run(
      lease.scope,
      lease.holder,
      lease.epoch,
      lease.host,
      lease.pid,
      lease.acquiredAt,
      lease.renewedAt,
      lease.expiresAt,
    );
    const tookOver = current !== undefined && current.holder !== claim.holder && current.expiresAt > now;
    return tookOver ? { acquired: true, lease, tookOverFrom: current } : { acquired: true, lease };
  });
}

/** Extends the lease `fence` holds; StoreError 'fenced' when someone else holds it now. */
export function renewLease(db: Db, fence: LeaseFence, ttlMs: number, now: number): Lease {
  requireTtl(ttlMs);
  return db.transaction(() => {
    const lease = assertFence(db, fence);
    db.prepare('UPDATE leases SET renewed_at = ?, expires_at = ? WHERE scope = ?').run(
      now,
      now + ttlMs,
      fence.scope,
    );
    return { ...lease, renewedAt: now, expiresAt: now + ttlMs };
  });
}

/**
 * Frees the lease for the next holder at once (its row and epoch stay: epochs never repeat). Releasing a lease
 * that is no longer this holder's does nothing: the new holder keeps it.
 */
export function releaseLease(db: Db, fence: LeaseFence, now: number): boolean {
  return db.transaction(() => {
    const result = db
      .prepare('UPDATE leases SET expires_at = ? WHERE scope = ? AND holder = ? AND epoch = ?')
      .run(now, fence.scope, fence.holder, fence.epoch);
    return Number(result.changes) > 0;
  });
}

/**
 * Throws StoreError 'fenced' unless `fence` still holds its scope. Call inside the write transaction it guards:
 * takeovers are write transactions too, so none can slip between the check and the write.
 */
export function assertFence(db: Db, fence: LeaseFence): Lease {
  const current = getLease(db, fence.scope);
  if (current?.holder === fence.holder && current.epoch === fence.epoch) return current;
  throw fenced(fence, current);
}

export function fenced(fence: LeaseFence, current: Lease | undefined): StoreError {
  const now =
    current === undefined
      ? 'nobody holds it now'
      : `it is now held by ${describeHolder(current)} (epoch ${current.epoch})`;
  return new StoreError(
    'fenced',
    `the lease on ${fence.scope} (epoch ${fence.epoch}) is no longer this process's: ${now}. This write was ` +
      'refused and changed nothing; the current holder delivers what is owed.',
  );
}

export function describeHolder(lease: Lease): string {
  return `pid ${lease.pid} on ${lease.host}`;
}

function toLease(row: LeaseRow): Lease {
  return {
    scope: row.scope,
    holder: row.holder,
    epoch: row.epoch,
    host: row.host,
    pid: row.pid,
    acquiredAt: row.acquired_at,
    renewedAt: row.renewed_at,
    expiresAt: row.expires_at,
  };
}

function requireClaim(claim: LeaseClaim): void {
  if (claim.scope === '' || claim.holder === '') throw invalid('a lease needs a scope and a holder');
  if (!Number.isSafeInteger(claim.pid) || claim.pid < 0) throw invalid(`lease pid ${claim.pid} is not a pid`);
  requireTtl(claim.ttlMs);
}

function requireTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000)
    throw invalid(`a lease time-to-live must be a whole number of ms, at least 1000; got ${ttlMs}`);
}
