// Bookkeeping shared by the HTTP SIEM sinks (Elasticsearch, Splunk HEC, Sekoia): the answer of a closed sink,
// the metrics of one write, the retry count of a request sent again, and the SinkHttp built from their options.

import type { SinkHttpOptions, SinkHttpOutcome } from './http.ts';
import { SinkHttp } from './http.ts';
import type { SinkAck, SinkEvent, SinkMetrics } from './types.ts';

/** The connection options every HTTP sink accepts and hands to its SinkHttp unchanged. */
export type HttpSinkConnectionOptions = Pick<
  SinkHttpOptions,
  'caFile' | 'insecure' | 'timeoutMs' | 'retry' | 'logger' | 'clock'
>;

export function createSinkHttp(sinkName: string, options: HttpSinkConnectionOptions): SinkHttp {
  return new SinkHttp({
    sinkName,
    caFile: options.caFile,
    insecure: options.insecure,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    logger: options.logger,
    clock: options.clock,
  });
}

/**
 * One write call: a closed sink fails every event (not retryable: this instance will never take them), an open
 * one runs `deliver`; either way the answer is recorded in `metrics`.
 */
export async function writeBatch(
  batch: readonly SinkEvent[],
  sink: { closed: boolean; closedReason: string; metrics: SinkMetrics },
  deliver: (ack: SinkAck) => Promise<void>,
): Promise<SinkAck> {
  const ack: SinkAck = { acknowledged: [], failed: [], dropped: [] };
  if (sink.closed) {
    for (const e of batch) ack.failed.push({ key: e.key, reason: sink.closedReason, retryable: false });
  } else {
    await deliver(ack);
  }
  sink.metrics.record(batch, ack);
  return ack;
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
