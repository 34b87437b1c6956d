// The message-trace collector: source (Graph, per tenant) -> transform (store change detection, ECS) -> sinks,
// with acknowledgements. Each tenant has its own Graph client, checkpoint and quota; they run side by side.
// `runOnce` runs one cycle for every tenant; `run` repeats it every cycle interval until its signal aborts.

import { systemClock } from '../graph/clock.ts';
import { silentLogger } from '../graph/logger.ts';
import type { Clock, Logger } from '../graph/types.ts';
import type { DeadLetter } from '../sinks/dead-letter.ts';
import type { Sink, SinkMetricsSnapshot } from '../sinks/types.ts';
import type { Store } from '../store/store.ts';
import { DEFAULT_PASS_SETTINGS, type PassSettings } from './passes.ts';
import type { QuotaUsage } from './quota-usage.ts';
import {
  type CollectorProgress,
  type CollectorTenant,
  TenantCollector,
  type TenantCycleReport,
} from './tenant-collector.ts';
import { DEFAULT_LEASE_TTL_MS, type ProcessIdentity, TenantLease } from './tenant-lease.ts';
import { DAY_MS, HORIZON_MS } from './windows.ts';

export type { CollectorProgress, CollectorTenant, TenantCycleReport };

export interface CollectorOptions {
  store: Store;
  sinks: readonly Sink[];
  tenants: readonly CollectorTenant[];
  clock?: Clock;
  logger?: Logger;
  /** The fast pass reads up to now minus this (default 5 min). */
  delayMs?: number;
  /** The reconciliation pass re-reads this much trailing time (default 48 h). */
  trailingWindowMs?: number;
  /** Minimum time between two reconciliation passes of a tenant (default 15 min; 0 = every cycle). */
  reconcileIntervalMs?: number;
  /** Time between the starts of two cycles in `run` (default 5 min). */
  cycleIntervalMs?: number;
  /** Backfill start: collect from here on (at most 90 days ago). Default: now − trailing window. */
  since?: Date | number;
  /** $top (default 5000). */
  pageSize?: number;
  /** A window needing more pages is split (default 20). */
  maxPagesPerWindow?: number;
  /** Longest window (default and maximum 10 days). */
  maxWindowMs?: number;
  onProgress?: (progress: CollectorProgress) => void;
  onCycle?: (report: CycleReport) => void;
  /** Record every tenant cycle in the store's runs table (default true). */
  recordRuns?: boolean;
  /** Each tenant's lease on the store (src/trace/tenant-lease.ts). */
  lease?: LeaseSettings;
  /** Where events a sink refused for good are kept (src/sinks/dead-letter.ts); without it they are only counted. */
  deadLetter?: DeadLetter;
}

export interface LeaseSettings {
  /** Default 60 s. */
  ttlMs?: number;
  /** Real-time interval between heartbeat renewals (default ttl / 3). */
  heartbeatMs?: number;
  identity?: ProcessIdentity;
}

export interface CycleReport {
  startedAt: string;
  endedAt: string;
  /** True when every tenant completed its cycle. */
  ok: boolean;
  tenants: TenantCycleReport[];
}

/** Options that cannot work, with what to change. */
export class CollectorConfigError extends Error {
  override readonly name = 'CollectorConfigError';
}

export const DEFAULT_CYCLE_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_RECONCILE_INTERVAL_MS = 15 * 60_000;

export class Collector {
  readonly #options: CollectorOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #tenants: TenantCollector[];
  readonly #cycleIntervalMs: number;
  readonly #leaseTtlMs: number;

  constructor(options: CollectorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#cycleIntervalMs = options.cycleIntervalMs ?? DEFAULT_CYCLE_INTERVAL_MS;
    const settings = resolveSettings(options);
    const since = resolveSince(options.since, this.#clock.now());
    const reconcileIntervalMs = options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS;
    this.#leaseTtlMs = options.lease?.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!Number.isSafeInteger(this.#leaseTtlMs) || this.#leaseTtlMs < 1000)
      throw new CollectorConfigError(`lease ttlMs must be at least 1000 ms, got ${this.#leaseTtlMs}`);
    requireNonNegative('reconcileIntervalMs', reconcileIntervalMs);
    requireNonNegative('cycleIntervalMs', this.#cycleIntervalMs);
    unique(
      'sink name',
      options.sinks.map((s) => s.name),
    );
    unique(
      'tenant id',
      options.tenants.map((t) => t.tenantId),
    );
    if (options.tenants.length === 0)
      throw new CollectorConfigError('no tenant to collect: configure at least one');
    this.#tenants = options.tenants.map(
      (tenant) =>
        new TenantCollector({
          tenant,
          store: options.store,
          sinks: options.sinks,
          clock: this.#clock,
          settings,
          reconcileIntervalMs,
          logger: this.#logger,
          lease: new TenantLease({
            store: options.store,
            tenantId: tenant.tenantId,
            clock: this.#clock,
            ttlMs: this.#leaseTtlMs,
            logger: this.#logger,
            ...(options.lease?.heartbeatMs !== undefined ? { heartbeatMs: options.lease.heartbeatMs } : {}),
            ...(options.lease?.identity ? { identity: options.lease.identity } : {}),
          }),
          ...(since !== undefined ? { since } : {}),
          ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
          ...(options.maxPagesPerWindow !== undefined
            ? { maxPagesPerWindow: options.maxPagesPerWindow }
            : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.deadLetter ? { deadLetter: options.deadLetter } : {}),
        }),
    );
  }

  /** One cycle for every tenant, side by side. Never throws: failures are in the report. */
  async runOnce(signal?: AbortSignal): Promise<CycleReport> {
    const startedAt = new Date(this.#clock.now()).toISOString();
    const tenants = await Promise.all(this.#tenants.map((t) => this.#runTenant(t, signal)));
    const report: CycleReport = {
      startedAt,
      endedAt: new Date(this.#clock.now()).toISOString(),
      ok: tenants.every((t) => t.ok),
      tenants,
    };
    this.#options.onCycle?.(report);
    return report;
  }

  /** Cycles until `signal` aborts; resolves (does not reject) once the current cycle has stopped. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.#clock.now();
      const report = await this.runOnce(signal);
      // A tenant another collector holds is tried again sooner: its holder may be a `--once` about to finish.
      const interval = report.tenants.some((t) => t.heldBy)
        ? Math.min(this.#cycleIntervalMs, Math.floor(this.#leaseTtlMs / 2))
        : this.#cycleIntervalMs;
      const waitMs = Math.max(0, started + interval - this.#clock.now());
      try {
        await this.#clock.sleep(waitMs, signal);
      } catch {
        break;
      }
    }
  }

  /** Per tenant: what the collector spent of the message-trace budget in the last hour. */
  quotaUsage(): Record<string, QuotaUsage> {
    const now = this.#clock.now();
    return Object.fromEntries(this.#tenants.map((t) => [t.tenantId, t.requestLog.usage(now)]));
  }

  sinkMetrics(): Record<string, SinkMetricsSnapshot> {
    const out: Record<string, SinkMetricsSnapshot> = {};
    for (const sink of this.#options.sinks) if (sink.metrics) out[sink.name] = sink.metrics.snapshot();
    return out;
  }

  async #runTenant(tenant: TenantCollector, signal: AbortSignal | undefined): Promise<TenantCycleReport> {
    const store = this.#options.store;
    const record = this.#options.recordRuns ?? true;
    let runId: string | undefined;
    try {
      if (record) runId = store.startRun({ kind: 'collect', tenant: tenant.tenantId });
    } catch (error) {
      this.#logger.warn('collector.run_record_failed', {
        tenant: tenant.tenantId,
        error: (error as Error).message,
      });
    }
    const report = await tenant.runCycle(signal);
    if (runId !== undefined) {
      try {
        store.finishRun(runId, {
          status: report.ok ? 'succeeded' : signal?.aborted ? 'cancelled' : 'failed',
          summary: report,
          ...(report.error !== undefined ? { failures: [report.error] } : {}),
        });
      } catch (error) {
        this.#logger.warn('collector.run_record_failed', {
          tenant: tenant.tenantId,
          error: (error as Error).message,
        });
      }
    }
    return report;
  }
}

function resolveSettings(options: CollectorOptions): PassSettings {
  const settings: PassSettings = {
    ...DEFAULT_PASS_SETTINGS,
    ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}),
    ...(options.trailingWindowMs !== undefined ? { trailingMs: options.trailingWindowMs } : {}),
    ...(options.maxWindowMs !== undefined ? { maxWindowMs: options.maxWindowMs } : {}),
  };
  requireNonNegative('delayMs', settings.delayMs);
  requireNonNegative('trailingWindowMs', settings.trailingMs);
  if (settings.trailingMs > HORIZON_MS - DAY_MS) {
    throw new CollectorConfigError(
      'trailingWindowMs must be shorter than 89 days: Graph keeps 90 days of traces',
    );
  }
  if (!(settings.maxWindowMs >= 1000 && settings.maxWindowMs <= 10 * DAY_MS)) {
    throw new CollectorConfigError(
      'maxWindowMs must be from 1 second to 10 days (Graph refuses longer ranges)',
    );
  }
  return settings;
}

function resolveSince(since: Date | number | undefined, now: number): number | undefined {
  if (since === undefined) return undefined;
  const ms = typeof since === 'number' ? since : since.getTime();
  if (!Number.isFinite(ms)) throw new CollectorConfigError('since is not a valid date');
  if (ms > now) throw new CollectorConfigError(`since (${new Date(ms).toISOString()}) is in the future`);
  // A day of slack: "--since 90d" means as far back as Graph allows; windows are clipped to the horizon.
  if (ms < now - HORIZON_MS - DAY_MS) {
    throw new CollectorConfigError(
      `since (${new Date(ms).toISOString()}) is older than 90 days: Graph keeps message traces for 90 days only`,
    );
  }
  return ms;
}

function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new CollectorConfigError(`${name} must be a non-negative number of milliseconds, got ${value}`);
  }
}

function unique(what: string, values: readonly string[]): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v))
      throw new CollectorConfigError(`${what} ${JSON.stringify(v)} appears twice: they must be unique`);
    seen.add(v);
  }
}
