// SQLite sink: keeps the history of every event in a mailtrace store (rows with their current status, and the
// status history). The store's upsert is idempotent (a row seen again with the same status changes nothing),
// so redelivered events are harmless; the batch is acknowledged once its transaction has committed.
//
// The collector already keeps its own store for change detection; this sink is for writing the same history
// into another store file (an archive, a store shared with analysts), or into that store when events come from
// elsewhere.

import { StoreError } from '../store/errors.ts';
import type { Store } from '../store/store.ts';
import type { TraceRow } from '../trace/model.ts';
import {
  ackAll,
  failAll,
  type Sink,
  type SinkAck,
  type SinkEvent,
  type SinkHealth,
  SinkMetrics,
} from './types.ts';

export interface SqliteSinkOptions {
  /** Default 'sqlite'. */
  name?: string;
  /** Stamp for first_seen / last_changed (default Date.now). */
  now?: () => number;
  /** Close the store when the sink closes (default false: the caller owns the store). */
  closeStore?: boolean;
}

/** Failures after which the same batch may be written later. */
const RETRYABLE_STORE_CODES = new Set(['locked', 'full', 'io']);

export class SqliteSink implements Sink {
  readonly name: string;
  readonly metrics = new SinkMetrics();
  readonly #store: Store;
  readonly #now: () => number;
  readonly #closeStore: boolean;
  #closed = false;

  constructor(store: Store, options: SqliteSinkOptions = {}) {
    this.#store = store;
    this.name = options.name ?? 'sqlite';
    this.#now = options.now ?? Date.now;
    this.#closeStore = options.closeStore ?? false;
  }

  async write(batch: readonly SinkEvent[]): Promise<SinkAck> {
    let ack: SinkAck;
    if (this.#closed) {
      ack = failAll(batch, 'the SQLite sink is closed', false);
    } else {
      try {
        const byTenant = new Map<string, TraceRow[]>();
        for (const event of batch) {
          const rows = byTenant.get(event.tenant);
          if (rows) rows.push(event.row);
          else byTenant.set(event.tenant, [event.row]);
        }
        const seenAt = new Date(this.#now()).toISOString();
        // One transaction for the whole batch: all of it is committed, or none of it.
        this.#store.transaction(() => {
          for (const [tenant, rows] of byTenant) this.#store.upsertTraceRows(tenant, rows, seenAt);
        });
        ack = ackAll(batch);
      } catch (error) {
        const retryable = error instanceof StoreError && RETRYABLE_STORE_CODES.has(error.code);
        ack = failAll(batch, `SQLite write failed: ${(error as Error).message}`, retryable);
      }
    }
    this.metrics.record(batch, ack);
    return ack;
  }

  /** Every write is its own committed transaction already (WAL, synchronous=NORMAL). */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closeStore) this.#store.close();
  }

  async healthcheck(): Promise<SinkHealth> {
    if (this.#closed) return { ok: false, detail: 'closed' };
    try {
      const stats = this.#store.stats();
      return { ok: true, detail: `${stats.rows} rows in ${this.#store.path}` };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  }
}
