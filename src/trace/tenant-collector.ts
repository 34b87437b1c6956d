// One tenant's collection: reads windows, stores rows, turns changes into events, delivers them through the
// outbox to every sink, and advances the checkpoint only once a window's events are all settled.

import { failpoint } from '../core/failpoints.ts';
import { silentLogger } from '../graph/logger.ts';
import type { Clock, Logger, Send } from '../graph/types.ts';
import type { DeadLetter } from '../sinks/dead-letter.ts';
import { deliver } from '../sinks/fanout.ts';
import { type Sink, type SinkEvent, sinkEventKey } from '../sinks/types.ts';
import { describeHolder, type Lease } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { type EcsContext, toEcs } from './ecs.ts';
import { readWindow } from './fetch-window.ts';
import { parseTraceRow, parseUtcMs, type TraceRow } from './model.ts';
import { mergeOutbox, type OutboxEntry, outboxEntry, readOutbox, writeOutbox } from './outbox.ts';
import {
  afterBackfillWindow,
  afterFastWindow,
  type CollectorState,
  fastPassGap,
  type PassSettings,
  parseState,
  planBackfill,
  planFastPass,
  planReconcile,
  reconcileStart,
  withGap,
} from './passes.ts';
import { RequestLog } from './quota-usage.ts';
import { TenantLease } from './tenant-lease.ts';
import type { TimeWindow } from './windows.ts';

export const STATE_CHECKPOINT = 'collector';

export interface CollectorTenant {
  /** Tenant id (GUID) as the store and the quota ledger know it. */
  tenantId: string;
  name?: string;
  /** The tenant's accepted domains, for email.direction. */
  acceptedDomains: string[];
  /** This tenant's Graph client (its own credentials and quota ledger). */
  send: Send;
}

export type PassName = 'fast' | 'backfill' | 'reconcile';

export interface CollectorProgress {
  tenant: string;
  pass: PassName;
  window: { start: string; end: string };
  /** 1-based position of this window in its pass. */
  windowIndex: number;
  windowCount: number;
  coveredFrom: string | null;
  fastUntil: string | null;
  rows: number;
  events: number;
}

export interface TenantCycleReport {
  tenant: string;
  ok: boolean;
  /** Why the cycle stopped early (its windows are read again next cycle). */
  error?: string;
  windows: Record<PassName, number>;
  requests: number;
  brokenSkiptokens: number;
  splits: number;
  rows: number;
  events: { new: number; statusChanged: number };
  /** Counted, never silent: rows that are not message traces, events sinks refused for good. */
  dropped: Record<string, number>;
  /** Where the events sinks refused for good were written (set when this cycle dropped any). */
  deadLetter?: string;
  reconciled: boolean;
  /**
   * Another collector held this tenant's lease, so this cycle did nothing for it (the holder collects and
   * delivers): who, and until when its lease runs unless renewed.
   */
  heldBy?: { host: string; pid: number; since: string; expires: string };
  coveredFrom: string | null;
  fastUntil: string | null;
  /** now − fastUntil: how far behind real time delivered data is. */
  lagMs: number | null;
  /**
   * Time lost for good this cycle: the collector was stopped longer than the 90-day horizon, so Graph no longer
   * serves [start, end] (recorded in the checkpoint once the fast pass moves past it, shown by `status`).
   */
  gap?: { start: string; end: string };
}

export interface TenantCollectorOptions {
  tenant: CollectorTenant;
  store: Store;
  sinks: readonly Sink[];
  clock: Clock;
  settings: PassSettings;
  reconcileIntervalMs: number;
  since?: number;
  pageSize?: number;
  maxPagesPerWindow?: number;
  logger?: Logger;
  onProgress?: (progress: CollectorProgress) => void;
  requestLog?: RequestLog;
  /** The hold on this tenant of the store (default: a TenantLease with the default time-to-live). */
  lease?: TenantLease;
  /** Keeps events a sink refused for good; without one they are only counted. */
  deadLetter?: DeadLetter;
}

/** Some sink did not acknowledge every event: the window stays unchecked and is delivered again next cycle. */
export class SinkDeliveryError extends Error {
  override readonly name = 'SinkDeliveryError';
}

export class TenantCollector {
  readonly tenantId: string;
  readonly requestLog: RequestLog;
  readonly #o: TenantCollectorOptions;
  readonly #ecsContext: EcsContext;
  readonly #logger: Logger;
  readonly #sinkNames: string[];
  readonly #lease: TenantLease;
  #outbox: OutboxEntry[] | undefined;
  /** Keys that were in the outbox when this cycle took the lease: a sink may hold them already. */
  #inherited = new Set<string>();
  #report!: TenantCycleReport;
  /** Checkpoint version this collector last read or wrote: a write expects it still (compare-and-set). */
  #stateVersion = 0;
  /** Start of the first window the fast pass read in this cycle. */
  #freshFrom: number | undefined;

  constructor(options: TenantCollectorOptions) {
    this.#o = options;
    this.tenantId = options.tenant.tenantId;
    this.requestLog = options.requestLog ?? new RequestLog();
    this.#logger = options.logger ?? silentLogger;
    this.#sinkNames = options.sinks.map((s) => s.name);
    this.#lease =
      options.lease ??
      new TenantLease({
        store: options.store,
        tenantId: options.tenant.tenantId,
        clock: options.clock,
        ...(options.logger ? { logger: options.logger } : {}),
      });
    this.#ecsContext = {
      tenantId: options.tenant.tenantId,
      acceptedDomains: options.tenant.acceptedDomains,
      ...(options.tenant.name !== undefined ? { tenantName: options.tenant.name } : {}),
    };
  }

  /**
   * One cycle under the tenant's lease: pending outbox, fast pass, backfill, then reconciliation when due.
   * Never throws. When another collector holds the lease, does nothing and says who holds it.
   */
  async runCycle(signal?: AbortSignal): Promise<TenantCycleReport> {
    const report = this.#newReport();
    this.#report = report;
    let held = false;
    try {
      const attempt = this.#lease.acquire();
      if (!attempt.acquired) return this.#heldReport(report, attempt.heldBy);
      held = true;
      const cycleSignal = signal ? AbortSignal.any([signal, this.#lease.lost]) : this.#lease.lost;
      this.#stateVersion = this.#readState().version;
      this.#freshFrom = undefined;
      // Read afresh under the lease: whatever a previous holder (killed, or this process's last cycle) left.
      this.#outbox = readOutbox(this.#o.store, this.tenantId);
      this.#inherited = new Set(this.#outbox.map((entry) => entry.key));
      await this.#deliverOutbox();
      await this.#fastPass(cycleSignal);
      await this.#backfill(cycleSignal);
      await this.#reconcile(cycleSignal);
    } catch (error) {
      report.ok = false;
      report.error = (error as Error)?.message ?? String(error);
      this.#logger.warn('collector.cycle_failed', { tenant: this.tenantId, error: report.error });
      if (signal?.aborted) report.error = `stopped: ${report.error}`;
    } finally {
      if (held) this.#lease.release();
    }
    try {
      const { state } = this.#readState();
      report.coveredFrom = iso(state.coveredFrom);
      report.fastUntil = iso(state.fastUntil);
      report.lagMs = state.fastUntil === null ? null : this.#o.clock.now() - state.fastUntil;
    } catch {
      // The store itself failed (the error is reported above); the report goes out without positions.
    }
    return report;
  }

  #heldReport(report: TenantCycleReport, lease: Lease): TenantCycleReport {
    report.ok = false;
    report.heldBy = {
      host: lease.host,
      pid: lease.pid,
      since: new Date(lease.acquiredAt).toISOString(),
      expires: new Date(lease.expiresAt).toISOString(),
    };
    report.error =
      `another collector holds this tenant (${describeHolder(lease)}, lease until ` +
      `${report.heldBy.expires} unless renewed): it collects and delivers; this run did nothing for the tenant`;
    this.#logger.warn('collector.lease_held', { tenant: this.tenantId, holder: describeHolder(lease) });
    return report;
  }

  async #fastPass(signal: AbortSignal | undefined): Promise<void> {
    const now = this.#o.clock.now();
    const { state } = this.#readState();
    const initialFrom = this.#o.since ?? now - this.#o.settings.trailingMs;
    const windows = planFastPass(state, now, this.#o.settings, initialFrom);
    this.#freshFrom = windows[0]?.start;
    let gap = fastPassGap(state, now, this.#o.settings);
    if (gap) {
      const range = { start: iso(gap.start)!, end: iso(gap.end)! };
      this.#report.gap = range;
      this.#logger.warn('collector.gap', {
        tenant: this.tenantId,
        ...range,
        reason: 'the collector was stopped longer than the 90-day message-trace horizon: this time is lost',
      });
    }
    await this.#runWindows('fast', windows, signal, (s, window) => {
      // Recorded with the first window past it: a cycle that fails before that finds the same gap again.
      const next = afterFastWindow(gap ? withGap(s, gap) : s, window);
      gap = null;
      return next;
    });
  }

  async #backfill(signal: AbortSignal | undefined): Promise<void> {
    const { state } = this.#readState();
    const windows = planBackfill(state, this.#o.since, this.#o.clock.now(), this.#o.settings);
    await this.#runWindows('backfill', windows, signal, afterBackfillWindow);
  }

  async #reconcile(signal: AbortSignal | undefined): Promise<void> {
    const now = this.#o.clock.now();
    const { state } = this.#readState();
    if (state.lastReconcileAt !== null && now - state.lastReconcileAt < this.#o.reconcileIntervalMs) return;
    // What the fast pass read moments ago cannot have changed yet: reconcile only the time before it.
    const fresh = this.#freshFrom;
    const upTo =
      fresh === undefined || state.fastUntil === null
        ? state
        : { ...state, fastUntil: Math.min(state.fastUntil, fresh - 1000) };
    const windows = planReconcile(upTo, now, this.#o.settings, this.#transientRowTimes(state, now));
    if (windows.length === 0) return;
    await this.#runWindows('reconcile', windows, signal, (s) => s);
    this.#saveState((s) => ({ ...s, lastReconcileAt: now }));
    this.#report.reconciled = true;
  }

  /** receivedDateTime of stored rows older than the trailing window whose status is still transient. */
  #transientRowTimes(state: CollectorState, now: number): number[] {
    const until = reconcileStart(state, now, this.#o.settings) - 1;
    if (state.coveredFrom === null || until < state.coveredFrom) return [];
    const times: number[] = [];
    for (const status of ['gettingStatus', 'pending']) {
      const rows = this.#o.store.queryTraceRows({
        tenant: this.tenantId,
        status,
        since: state.coveredFrom,
        until,
        limit: 10_000,
      });
      for (const r of rows) {
        const ms = parseUtcMs(r.row.receivedDateTime);
        if (ms !== undefined) times.push(ms);
      }
    }
    return times;
  }

  async #runWindows(
    pass: PassName,
    windows: readonly TimeWindow[],
    signal: AbortSignal | undefined,
    advance: (state: CollectorState, window: TimeWindow) => CollectorState,
  ): Promise<void> {
    for (const [index, window] of windows.entries()) {
      signal?.throwIfAborted();
      this.#lease.renew();
      let rows = 0;
      let events = 0;
      const stats = await readWindow(window, {
        send: this.#o.tenant.send,
        ...(this.#o.pageSize !== undefined ? { pageSize: this.#o.pageSize } : {}),
        ...(this.#o.maxPagesPerWindow !== undefined ? { maxPagesPerWindow: this.#o.maxPagesPerWindow } : {}),
        ...(signal ? { signal } : {}),
        onRequest: () => this.requestLog.record(this.#o.clock.now()),
        onPage: async (items) => {
          const result = await this.#ingest(items);
          rows += result.rows;
          events += result.events;
        },
      });
      this.#report.requests += stats.requests;
      this.#report.brokenSkiptokens += stats.brokenSkiptokens;
      this.#report.splits += stats.splits;
      this.#report.windows[pass]++;
      // Every page was delivered before the next was read, so the whole window is acknowledged here.
      failpoint('collector.checkpoint-advancing', pass);
      const state = this.#saveState((s) => advance(s, window));
      failpoint('collector.checkpoint-advanced', pass);
      this.#o.onProgress?.({
        tenant: this.tenantId,
        pass,
        window: { start: iso(window.start)!, end: iso(window.end)! },
        windowIndex: index + 1,
        windowCount: windows.length,
        coveredFrom: iso(state.coveredFrom),
        fastUntil: iso(state.fastUntil),
        rows,
        events,
      });
    }
  }

  /** Stores one page and delivers what changed; throws SinkDeliveryError when some sink still owes an event. */
  async #ingest(items: readonly unknown[]): Promise<{ rows: number; events: number }> {
    const rows: TraceRow[] = [];
    for (const item of items) {
      try {
        rows.push(parseTraceRow(item));
      } catch (error) {
        this.#countDrop('invalid_row');
        this.#logger.warn('collector.invalid_row', {
          tenant: this.tenantId,
          error: (error as Error).message,
        });
      }
    }
    this.#report.rows += rows.length;
    if (rows.length === 0) return { rows: 0, events: 0 };
    const store = this.#o.store;
    const seenAt = new Date(this.#o.clock.now()).toISOString();
    const current = this.#pendingOutbox();
    const fence = this.#lease.fence;
    // Rows and the events they cause are committed together: a crash right after still delivers the events.
    const next = store.transaction(
      () => {
        const changes = store.upsertTraceRows(this.tenantId, rows, seenAt);
        if (changes.length === 0) return undefined;
        const added = changes.map((c) => outboxEntry(c, sinkEventKey(c.row), this.#sinkNames));
        const merged = mergeOutbox(current, added);
        writeOutbox(store, this.tenantId, merged, fence);
        return { merged, added: added.length };
      },
      { fence },
    );
    if (next === undefined) return { rows: rows.length, events: 0 };
    failpoint('collector.page-stored');
    this.#outbox = next.merged;
    await this.#deliverOutbox();
    return { rows: rows.length, events: next.added };
  }

  async #deliverOutbox(): Promise<void> {
    const entries = this.#pendingOutbox();
    if (entries.length === 0) return;
    this.#lease.renew();
    const fence = this.#lease.fence;
    // Which sinks still owe each event, updated as each sink answers and written to the outbox at once, so that
    // a crash while one sink is still retrying does not resend a page to the sinks that already hold it.
    const owed = new Map(entries.map((entry) => [entry.key, new Set(entry.sinks)]));
    const persistOwed = () =>
      writeOutbox(
        this.#o.store,
        this.tenantId,
        entries.flatMap((entry) => {
          const sinks = owed.get(entry.key);
          return sinks && sinks.size > 0 ? [{ ...entry, sinks: [...sinks] }] : [];
        }),
        fence,
      );
    const outcome = await deliver(
      this.#o.sinks,
      entries.map((entry) => ({ event: this.#toEvent(entry), sinks: entry.sinks })),
      {
        write: { assertOwner: () => this.#lease.assertHeld() },
        onDropped: async (sink, drops) => {
          const deadLetter = this.#o.deadLetter;
          if (!deadLetter) return;
          await deadLetter.write(
            drops.map((d) => ({ sink: sink.name, ...d })),
            new Date(this.#o.clock.now()),
          );
          this.#report.deadLetter = deadLetter.location;
        },
        onSettled: async (sink, keys) => {
          // Durable in the sink before the outbox forgets that the sink owes it.
          await sink.flush();
          failpoint('collector.sink-flushed', sink.name);
          for (const key of keys) owed.get(key)?.delete(sink.name);
          persistOwed();
          failpoint('collector.sink-acked', sink.name);
        },
      },
    );
    const settled = new Set(outcome.settled);
    const left: OutboxEntry[] = [];
    for (const entry of entries) {
      if (settled.has(entry.key)) this.#report.events[entry.kind]++;
      else left.push({ ...entry, sinks: outcome.remaining.get(entry.key) ?? entry.sinks });
    }
    for (const drop of outcome.dropped) this.#countDrop(`${drop.sink}: ${drop.reason}`);
    writeOutbox(this.#o.store, this.tenantId, left, fence);
    failpoint('collector.outbox-settled');
    this.#outbox = left;
    if (left.length > 0) {
      const first = outcome.failed[0];
      throw new SinkDeliveryError(
        `${left.length} event(s) not acknowledged by every sink` +
          (first ? ` (${first.sink}: ${first.reason})` : '') +
          '; they stay in the outbox and the window is read again next cycle',
      );
    }
  }

  #toEvent(entry: OutboxEntry): SinkEvent {
    return {
      key: entry.key,
      kind: entry.kind,
      ...(entry.previousStatus !== undefined ? { previousStatus: entry.previousStatus } : {}),
      row: entry.row,
      ecs: toEcs(entry.row, this.#ecsContext),
      tenant: this.tenantId,
      ...(this.#inherited.has(entry.key) ? { redelivered: true } : {}),
    };
  }

  #pendingOutbox(): OutboxEntry[] {
    this.#outbox ??= readOutbox(this.#o.store, this.tenantId);
    return this.#outbox;
  }

  #readState(): { state: CollectorState; version: number } {
    const record = this.#o.store.getCheckpointRecord<unknown>(this.tenantId, STATE_CHECKPOINT);
    return { state: parseState(record?.value), version: record?.version ?? 0 };
  }

  /**
   * Compare-and-set against the version this cycle started from: a second collector of the same tenant makes
   * this one fail its cycle (StoreError 'conflict') instead of silently moving the checkpoint under it.
   */
  #saveState(update: (state: CollectorState) => CollectorState): CollectorState {
    const { state } = this.#readState();
    const next = update(state);
    this.#stateVersion = this.#o.store.setCheckpoint(this.tenantId, STATE_CHECKPOINT, next, {
      expectedVersion: this.#stateVersion,
      fence: this.#lease.fence,
    });
    return next;
  }

  #countDrop(reason: string): void {
    this.#report.dropped[reason] = (this.#report.dropped[reason] ?? 0) + 1;
  }

  #newReport(): TenantCycleReport {
    return {
      tenant: this.tenantId,
      ok: true,
      windows: { fast: 0, backfill: 0, reconcile: 0 },
      requests: 0,
      brokenSkiptokens: 0,
      splits: 0,
      rows: 0,
      events: { new: 0, statusChanged: 0 },
      dropped: {},
      reconciled: false,
      coveredFrom: null,
      fastUntil: null,
      lagMs: null,
    };
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
