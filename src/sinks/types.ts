// The sink contract (Vector / Benthos style): a sink takes a batch of events and answers, per event, whether it
// holds it now (acknowledged), could not take it (failed: retryable or not) or deliberately discarded it
// (dropped, with a reason). The collector advances a checkpoint only when every event of a window is settled.

import { type EcsDocument, ecsEventId } from '../trace/ecs.ts';
import type { TraceRow } from '../trace/model.ts';

export interface SinkEvent {
  /**
   * Trace id + recipient + status, hashed (equal to the ECS event.id): deterministic across runs and processes,
   * so an idempotent sink (Elasticsearch `create` with `_id`) stores each (row, status) once.
   */
  key: string;
  kind: 'new' | 'statusChanged';
  /** The status this row had before (statusChanged only). */
  previousStatus?: string;
  /** The Graph object, unchanged. */
  row: TraceRow;
  ecs: EcsDocument;
  tenant: string;
  /**
   * The event was owed when this delivery began (left by a killed or failed run): a sink may already hold it.
   * Idempotent sinks need nothing more; an append-only file checks its tail (ResumingNdjsonSink).
   */
  redelivered?: boolean;
}

export interface SinkFailure {
  key: string;
  reason: string;
  /** True when sending the same event again may succeed (network, 5xx, throttling, disk full). */
  retryable: boolean;
}

export interface SinkDrop {
  key: string;
  reason: string;
}

/** Every key of the batch appears in exactly one of the three lists. */
export interface SinkAck {
  acknowledged: string[];
  failed: SinkFailure[];
  dropped: SinkDrop[];
}

export interface SinkHealth {
  ok: boolean;
  detail: string;
}

export interface WriteOptions {
  /**
   * Throws when this process may no longer deliver (another collector has taken the tenant's lease over). A
   * sink that cannot deduplicate (an append-only file) calls it right before it writes, so that a collector
   * frozen past its lease does not append what the new holder has written meanwhile.
   */
  assertOwner?: () => void;
}

export interface Sink {
  /** Unique among the sinks of one collector: the outbox remembers which sinks still owe an event by name. */
  readonly name: string;
  write(batch: readonly SinkEvent[], options?: WriteOptions): Promise<SinkAck>;
  /** Makes what was acknowledged durable (fsync, flush buffers); resolves when done. */
  flush(): Promise<void>;
  close(): Promise<void>;
  healthcheck(): Promise<SinkHealth>;
  readonly metrics?: SinkMetrics;
}

/** Counters every sink keeps; dropped events are counted by reason, never silently. */
export interface SinkMetricsSnapshot {
  sent: number;
  acknowledged: number;
  failed: number;
  retried: number;
  dropped: Record<string, number>;
}

export class SinkMetrics {
  sent = 0;
  acknowledged = 0;
  failed = 0;
  retried = 0;
  readonly dropped = new Map<string, number>();
  /** Keys that failed once: sending one of them again counts as a retry. */
  readonly #failedKeys = new Set<string>();

  /** Records one write call and its answer. */
  record(batch: readonly SinkEvent[], ack: SinkAck): void {
    this.sent += batch.length;
    for (const event of batch) {
      if (this.#failedKeys.delete(event.key)) this.retried++;
    }
    this.acknowledged += ack.acknowledged.length;
    this.failed += ack.failed.length;
    for (const failure of ack.failed) if (failure.retryable) this.#failedKeys.add(failure.key);
    for (const drop of ack.dropped) this.countDrop(drop.reason);
  }

  countDrop(reason: string, count = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
  }

  snapshot(): SinkMetricsSnapshot {
    return {
      sent: this.sent,
      acknowledged: this.acknowledged,
      failed: this.failed,
      retried: this.retried,
      dropped: Object.fromEntries(this.dropped),
    };
  }
}

/** The SinkEvent key of a row in a given status (the same hash as the ECS event.id). */
export function sinkEventKey(row: Pick<TraceRow, 'id' | 'recipientAddress' | 'status'>): string {
  return ecsEventId(row);
}

/** An answer that acknowledges the whole batch. */
export function ackAll(batch: readonly SinkEvent[]): SinkAck {
  return { acknowledged: batch.map((e) => e.key), failed: [], dropped: [] };
}

/** An answer that fails the whole batch with one reason. */
export function failAll(batch: readonly SinkEvent[], reason: string, retryable: boolean): SinkAck {
  return { acknowledged: [], failed: batch.map((e) => ({ key: e.key, reason, retryable })), dropped: [] };
}
