// The collector's hold on one tenant of one store: taken before a cycle reads Graph or the outbox, renewed while
// it runs (at every page and sink acknowledgement, and by a heartbeat while it waits on a slow sink or the
// quota), released when the cycle ends. A second collector of the same tenant (a daemon beside a cron
// `--once`, another host on a shared file) finds it held and says by whom instead of interleaving its outbox
// and checkpoint writes with the holder's. A holder killed -9 leaves its lease behind: on the same host it is
// taken over at once (its pid is gone), elsewhere once its time-to-live has passed.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { failpoint } from '../core/failpoints.ts';
import type { Clock, Logger } from '../graph/types.ts';
import { describeHolder, type Lease, type LeaseFence, type Store, StoreError } from '../store/index.ts';

export const DEFAULT_LEASE_TTL_MS = 60_000;

export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Whether `pid` is a live process on this host (a dead holder's lease is taken over without waiting). */
  isAlive(pid: number): boolean;
}

export const thisProcess: ProcessIdentity = { host: hostname(), pid: process.pid, isAlive: pidIsAlive };

export interface TenantLeaseOptions {
  store: Store;
  tenantId: string;
  clock: Clock;
  ttlMs?: number;
  /** Real-time interval between heartbeat renewals (default ttl / 3); 0 turns the heartbeat off. */
  heartbeatMs?: number;
  identity?: ProcessIdentity;
  logger?: Logger;
}

export type LeaseOutcome = { acquired: true; lease: Lease } | { acquired: false; heldBy: Lease };

export function collectorLeaseScope(tenantId: string): string {
  return `collector:${tenantId}`;
}

export class TenantLease {
  readonly scope: string;
  readonly ttlMs: number;
  readonly #o: TenantLeaseOptions;
  readonly #identity: ProcessIdentity;
  readonly #holder: string;
  #lease: Lease | undefined;
  #lost: AbortController = new AbortController();
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(options: TenantLeaseOptions) {
    this.#o = options;
    this.scope = collectorLeaseScope(options.tenantId);
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#identity = options.identity ?? thisProcess;
    this.#holder = `${this.#identity.host}:${this.#identity.pid}:${randomUUID()}`;
  }

  /** Aborts when a renewal finds the lease taken over: the cycle stops at its next step. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /** The fence for writes under this lease; only valid between a successful acquire and release. */
  get fence(): LeaseFence {
    const lease = this.#lease;
    if (!lease) throw new StoreError('fenced', `the lease on ${this.scope} is not held by this process`);
    return { scope: lease.scope, holder: lease.holder, epoch: lease.epoch };
  }

  acquire(): LeaseOutcome {
    const { host, pid } = this.#identity;
    const attempt = this.#o.store.acquireLease(
      { scope: this.scope, holder: this.#holder, host, pid, ttlMs: this.ttlMs },
      { now: this.#o.clock.now(), abandoned: (current) => this.#abandoned(current) },
    );
    if (!attempt.acquired) {
      failpoint('lease.held', this.#o.tenantId);
      return attempt;
    }
    if (attempt.tookOverFrom) {
      this.#o.logger?.warn('collector.lease_taken_over', {
        tenant: this.#o.tenantId,
        from: describeHolder(attempt.tookOverFrom),
        reason: 'its process is gone',
      });
    }
    this.#lease = attempt.lease;
    if (this.#lost.signal.aborted) this.#lost = new AbortController();
    this.#startHeartbeat();
    failpoint('lease.acquired', this.#o.tenantId);
    return attempt;
  }

  /** Extends the lease; StoreError 'fenced' (and `lost` aborted) when another holder has taken it. */
  renew(): void {
    this.#lease = this.#watch(() => this.#o.store.renewLease(this.fence, this.ttlMs, this.#o.clock.now()));
  }

  /** Throws StoreError 'fenced' (and aborts `lost`) unless this process still holds the lease. */
  assertHeld(): void {
    this.#watch(() => this.#o.store.assertLease(this.fence));
  }

  /** Runs a lease operation; finding the lease taken over marks it lost before the error goes on. */
  #watch<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      if (error instanceof StoreError && error.code === 'fenced') this.#markLost(error);
      throw error;
    }
  }

  /** Frees the lease for the next collector; never throws (an unreleased lease expires on its own). */
  release(): void {
    this.#stopHeartbeat();
    const lease = this.#lease;
    this.#lease = undefined;
    if (!lease) return;
    try {
      this.#o.store.releaseLease(lease, this.#o.clock.now());
    } catch (error) {
      this.#o.logger?.warn('collector.lease_release_failed', {
        tenant: this.#o.tenantId,
        error: (error as Error).message,
      });
    }
  }

  #abandoned(current: Lease): boolean {
    return current.host === this.#identity.host && !this.#identity.isAlive(current.pid);
  }

  #startHeartbeat(): void {
    const every = this.#o.heartbeatMs ?? Math.floor(this.ttlMs / 3);
    if (every <= 0 || this.#heartbeat) return;
    // Real time on purpose: it stands in for the work that renews the lease (pages, acknowledgements) while
    // the process waits on something slow. unref: a heartbeat never keeps a finished process alive.
    this.#heartbeat = setInterval(() => {
      try {
        this.renew();
      } catch (error) {
        this.#o.logger?.warn('collector.lease_renew_failed', {
          tenant: this.#o.tenantId,
          error: (error as Error).message,
        });
      }
    }, every);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #markLost(error: StoreError): void {
    this.#stopHeartbeat();
    this.#lease = undefined;
    this.#lost.abort(error);
  }
}

/** kill(pid, 0) probes without signalling: ESRCH means gone; EPERM means alive under another user. */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
