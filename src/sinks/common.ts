// Bookkeeping shared by the HTTP SIEM sinks (Elasticsearch, Splunk HEC, Sekoia): their lifecycle (closed or not,
// metrics of each write), the retry count of a request sent again, and failing a set of events at once.

import type { SinkHttpOptions, SinkHttpOutcome } from './http.ts';
import { SinkHttp } from './http.ts';
import type { SinkAck, SinkEvent, SinkHealth, SinkMetrics } from './types.ts';

/** The connection options every HTTP sink accepts and hands to its SinkHttp unchanged. */
export type HttpSinkConnectionOptions = Pick<
  SinkHttpOptions,
  'caFile' | 'insecure' | 'timeoutMs' | 'retry' | 'logger' | 'clock'
>;

/**
 * What the three HTTP sinks do alike around their protocol: one SinkHttp, a close that happens once, and a closed
 * sink that fails every write (not retryable: this instance will never take the events) and reports unhealthy.
 */
export class HttpSinkLifecycle {
  readonly http: SinkHttp;
  readonly #metrics: SinkMetrics;
  readonly #closedReason: string;
  #closed = false;

  constructor(sinkName: string, closedReason: string, metrics: SinkMetrics, options: HttpSinkConnectionOptions) {
    this.#closedReason = closedReason;
    this.#metrics = metrics;
    this.http = new SinkHttp({
      sinkName,
      caFile: options.caFile,
      insecure: options.insecure,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      logger: options.logger,
      clock: options.clock,
    });
  }

  /** One write call: `deliver` fills the answer unless the sink is closed; the answer is recorded in metrics. */
  async write(batch: readonly SinkEvent[], deliver: (ack: SinkAck) => Promise<void>): Promise<SinkAck> {
    const ack: SinkAck = { acknowledged: [], failed: [], dropped: [] };
    if (this.#closed) failEach(ack, batch, this.#closedReason, false);
    else await deliver(ack);
    this.#metrics.record(batch, ack);
    return ack;
  }

  /** The health of a closed sink, or undefined while it is open (the sink then checks its own endpoint). */
  closedHealth(): SinkHealth | undefined {
    return this.#closed ? { ok: false, detail: 'closed' } : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.http.close();
  }
}

/** Each attempt after the first sent every event of the request again. */
export function countResent(metrics: SinkMetrics, outcome: SinkHttpOutcome, eventCount: number): void {
  metrics.retried += (outcome.attempts - 1) * eventCount;
}

/** Fails every event of `events` with the same reason. */
export function failEach(
  ack: SinkAck,
  events: readonly { key: string }[],
  reason: string,
  retryable: boolean,
): void {
  for (const e of events) ack.failed.push({ key: e.key, reason, retryable });
}
