// `mailtrace investigate --to-sinks`: the investigation's ECS documents (investigate/ecs.ts) sent to the sinks of
// the config file's `sinks` section. The Sink contract is built around message-trace rows (SinkEvent.row), and is
// left unchanged: only the sinks that ship `SinkEvent.ecs` verbatim and never read the row take investigation
// events. Those are NDJSON files and Elasticsearch (into a data stream of its own, so that the message-trace
// mapping is not mixed with another dataset). The others are skipped with a reason the user sees:
// - sekoia: its intake parses raw Graph message-trace rows; an investigation document is not one and would be
//   misparsed (or rejected) there;
// - splunk-hec: its HEC envelope takes the event time (and, in the raw format, the event) from the trace row;
// - ndjson with path "-": stdout carries the investigation report itself;
// - any other type (a plugin's factory): nothing says it leaves the row alone.

import type { Logger } from '../graph/types.ts';
import type { InvestigationEcsDocument } from '../investigate/ecs.ts';
import { createSink, parseSinkConfig, SinkConfigError } from '../sinks/config.ts';
import { deliver } from '../sinks/fanout.ts';
import { isDataStreamName } from '../sinks/index-template.ts';
import { NdjsonSink } from '../sinks/ndjson.ts';
import type { Sink, SinkEvent } from '../sinks/types.ts';
import type { TraceRow } from '../trace/model.ts';
import type { SinkConfig } from './collect-config.ts';
import { CliError, EXIT } from './errors.ts';

export const INVESTIGATION_INDEX = 'logs-microsoft.mailbox_search-default';

export interface SkippedSink {
  name: string;
  type: string;
  reason: string;
}

export interface InvestigationSinks {
  sinks: Sink[];
  skipped: SkippedSink[];
}

export interface InvestigationSinkOptions {
  env: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** Why a sink of this type is not given investigation events, or undefined when it is. */
export function skipReason(entry: SinkConfig): string | undefined {
  if ('path' in entry)
    return entry.path === '-'
      ? 'its path is "-" and stdout carries the investigation report; give it a file path'
      : undefined;
  if (entry.type === 'elasticsearch') return undefined;
  if (entry.type === 'sekoia')
    return 'Sekoia.io parses raw Graph message-trace rows, which an investigation is not; use an NDJSON or Elasticsearch sink';
  if (entry.type === 'splunk-hec')
    return 'the Splunk HEC sink builds its events from message-trace rows; use an NDJSON file and a Splunk file monitor';
  return `sinks of type '${entry.type}' are only given message-trace events`;
}

/**
 * The investigation's index for a configured message-trace index: a data stream keeps its type and namespace
 * with the investigation dataset (logs-microsoft.message_trace-prod → logs-microsoft.mailbox_search-prod); a plain
 * index gets a `-mailbox-search` suffix.
 */
export function investigationIndex(configured: string | undefined): string {
  if (configured === undefined) return INVESTIGATION_INDEX;
  if (isDataStreamName(configured)) {
    const [type, , namespace] = configured.split('-');
    return `${type}-microsoft.mailbox_search-${namespace}`;
  }
  return `${configured}-mailbox-search`;
}

/** Builds the sinks that take investigation events; throws CliError (config) when there are none at all. */
export function investigationSinks(
  entries: readonly SinkConfig[] | undefined,
  options: InvestigationSinkOptions,
): InvestigationSinks {
  if (entries === undefined || entries.length === 0)
    throw new CliError(
      '--to-sinks: the config file has no "sinks" section',
      EXIT.config,
      'add e.g. "sinks": [{"type": "ndjson", "path": "investigations.ndjson"}] to the config file',
    );
  const sinks: Sink[] = [];
  const skipped: SkippedSink[] = [];
  for (const entry of entries) {
    const name = entry.name ?? entry.type;
    const reason = skipReason(entry);
    if (reason !== undefined) {
      skipped.push({ name, type: entry.type, reason });
      continue;
    }
    if ('path' in entry) sinks.push(new NdjsonSink({ path: entry.path }, { name }));
    else sinks.push(elasticsearchSink(entry, name, options));
  }
  if (sinks.length === 0)
    throw new CliError(
      `--to-sinks: none of the configured sinks takes investigation events (${skipped
        .map((s) => `${s.name}: ${s.reason}`)
        .join('; ')})`,
      EXIT.config,
      'add an NDJSON or Elasticsearch sink to the config file',
    );
  return { sinks, skipped };
}

function elasticsearchSink(
  entry: Exclude<SinkConfig, { path: string }>,
  name: string,
  options: InvestigationSinkOptions,
): Sink {
  try {
    const config = parseSinkConfig(
      { ...entry.options, type: entry.type, name },
      { env: options.env, baseDir: entry.baseDir },
      entry.where,
    );
    if (config.type === 'elasticsearch') config.options.index = investigationIndex(config.options.index);
    return createSink(config, options.logger);
  } catch (error) {
    if (error instanceof SinkConfigError) throw new CliError(error.message, EXIT.config, error.fix);
    throw error;
  }
}

/** Thrown if a sink reads the trace row of an investigation event: skipReason let through a sink it should not. */
export class NoTraceRowError extends Error {
  override readonly name = 'NoTraceRowError';
}

/**
 * An investigation event has no trace row. Its `row` is a stand-in that throws on use, so that a sink reading it
 * fails that event with a clear reason (fanout turns a throw into a failure) instead of shipping garbage.
 */
const NO_TRACE_ROW = new Proxy(Object.freeze({}), {
  get(_target, property) {
    if (typeof property === 'symbol' || property === 'then') return undefined;
    throw new NoTraceRowError(`investigation events carry no message-trace row (read of '${property}')`);
  },
}) as unknown as TraceRow;

/** The SinkEvent of one document: its key is the document's deterministic event.id. */
export function investigationSinkEvent(doc: InvestigationEcsDocument, tenant: string): SinkEvent {
  return {
    key: doc.event.id,
    kind: 'new',
    row: NO_TRACE_ROW,
    // The sinks given these events serialise `ecs` as it is; its declared type is the trace document's.
    ecs: doc as unknown as SinkEvent['ecs'],
    tenant,
  };
}

export interface SinkDeliveryCount {
  name: string;
  acknowledged: number;
  failed: number;
  dropped: number;
  /** The first failure or drop reason, for the user. */
  problem?: string;
}

export interface InvestigationDelivery {
  events: number;
  perSink: SinkDeliveryCount[];
  /** True when every sink acknowledged every event. */
  ok: boolean;
}

const BATCH = 1000;

/** Sends the events to every sink, then flushes and closes the sinks (also on failure). */
export async function sendInvestigationEvents(
  sinks: readonly Sink[],
  events: readonly SinkEvent[],
): Promise<InvestigationDelivery> {
  const counts = new Map<string, SinkDeliveryCount>(
    sinks.map((s) => [s.name, { name: s.name, acknowledged: 0, failed: 0, dropped: 0 }]),
  );
  const names = sinks.map((s) => s.name);
  try {
    for (let i = 0; i < events.length; i += BATCH) {
      const batch = events.slice(i, i + BATCH);
      const outcome = await deliver(
        sinks,
        batch.map((event) => ({ event, sinks: names })),
      );
      for (const count of counts.values()) count.acknowledged += batch.length;
      for (const [list, field] of [
        [outcome.failed, 'failed'],
        [outcome.dropped, 'dropped'],
      ] as const) {
        for (const f of list) {
          const count = counts.get(f.sink);
          if (!count) continue;
          count.acknowledged--;
          count[field]++;
          count.problem ??= f.reason;
        }
      }
    }
    await Promise.all(sinks.map((s) => s.flush()));
  } finally {
    await Promise.allSettled(sinks.map((s) => s.close()));
  }
  const perSink = [...counts.values()];
  return { events: events.length, perSink, ok: perSink.every((c) => c.failed === 0 && c.dropped === 0) };
}

/** One line per sink for stderr, e.g. "elasticsearch: 24 of 24 stored". */
export function describeDelivery(delivery: InvestigationDelivery, skipped: readonly SkippedSink[]): string[] {
  const lines = delivery.perSink.map((c) => {
    const parts = [`${c.acknowledged} of ${delivery.events} stored`];
    if (c.failed > 0) parts.push(`${c.failed} failed`);
    if (c.dropped > 0) parts.push(`${c.dropped} dropped`);
    return `to-sinks: ${c.name}: ${parts.join(', ')}${c.problem ? ` (${c.problem})` : ''}`;
  });
  for (const s of skipped) lines.push(`to-sinks: ${s.name} (${s.type}) skipped: ${s.reason}`);
  return lines;
}
