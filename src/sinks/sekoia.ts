// Sekoia.io HTTPS intake: POST {intakeServer}/batch {"intake_key", "jsons": [<event as a JSON string>, …]}.
// The "Microsoft 365 Message Trace (Graph API)" intake format parses the raw Graph exchangeMessageTrace object,
// so each event is the Graph row unchanged (not the ECS document). Requests stay under 9 MiB (a batch is split),
// and an event over 250,000 bytes is dropped with reason 'too_large' (the intake would refuse it).
//
// The intake answers {"event_ids": [...]}, one id per accepted event. A 2xx with fewer ids than events sent is
// treated as a retryable failure of the whole request: a duplicate in the SIEM is better than a silent loss.

import { registerSecret } from '../graph/redact.ts';
import type { Logger } from '../graph/types.ts';
import { graphObject } from '../trace/model.ts';
import { countResent, failEach, HttpSinkLifecycle } from './common.ts';
import { describeOutcome, joinUrl, type SinkHttp, type SinkHttpOptions } from './http.ts';
import type { Sink, SinkAck, SinkEvent, SinkHealth } from './types.ts';
import { SinkMetrics } from './types.ts';

export const SEKOIA_DEFAULT_INTAKE_SERVER = 'https://intake.sekoia.io';
/** Kept under the intake's ~9 MiB request ceiling. */
export const SEKOIA_MAX_REQUEST_BYTES = 9 * 1024 * 1024 - 1024;
export const SEKOIA_MAX_EVENT_BYTES = 250_000;

export interface SekoiaSinkOptions {
  /** Default 'sekoia'. */
  name?: string | undefined;
  intakeKey: string;
  /** Base URL, e.g. https://intake.sekoia.io or https://intake.fra2.sekoia.io/api/v1/intake-http. */
  intakeServer?: string | undefined;
  maxRequestBytes?: number | undefined;
  maxEventBytes?: number | undefined;
  caFile?: string | undefined;
  insecure?: boolean | undefined;
  timeoutMs?: number | undefined;
  retry?: SinkHttpOptions['retry'];
  logger?: Logger | undefined;
  clock?: SinkHttpOptions['clock'];
}

interface Chunk {
  events: SinkEvent[];
  jsons: string[];
}

export class SekoiaSink implements Sink {
  readonly name: string;
  readonly metrics = new SinkMetrics();
  readonly #intakeKey: string;
  readonly #url: string;
  readonly #maxRequestBytes: number;
  readonly #maxEventBytes: number;
  readonly #lifecycle: HttpSinkLifecycle;
  readonly #http: SinkHttp;

  constructor(options: SekoiaSinkOptions) {
    registerSecret(options.intakeKey);
    this.name = options.name ?? 'sekoia';
    this.#intakeKey = options.intakeKey;
    this.#url = joinUrl(options.intakeServer ?? SEKOIA_DEFAULT_INTAKE_SERVER, '/batch');
    this.#maxRequestBytes = options.maxRequestBytes ?? SEKOIA_MAX_REQUEST_BYTES;
    this.#maxEventBytes = options.maxEventBytes ?? SEKOIA_MAX_EVENT_BYTES;
    this.#lifecycle = new HttpSinkLifecycle(this.name, 'the Sekoia sink is closed', this.metrics, options);
    this.#http = this.#lifecycle.http;
  }

  async write(batch: readonly SinkEvent[]): Promise<SinkAck> {
    return this.#lifecycle.write(batch, async (ack) => {
      for (const chunk of this.#chunks(batch, ack)) await this.#send(chunk, ack);
    });
  }

  /** Splits the batch into requests under maxRequestBytes; events too large for the intake go to ack.dropped. */
  * #chunks(batch: readonly SinkEvent[], ack: SinkAck): Generator<Chunk> {
    const overhead = Buffer.byteLength(this.#body([]));
    let chunk: Chunk = { events: [], jsons: [] };
    let size = overhead;
    for (const event of batch) {
      // Graph's object as sent (a null subject stays null), not the collector's working copy.
      const json = JSON.stringify(graphObject(event.row));
      if (Buffer.byteLength(json) > this.#maxEventBytes) {
        ack.dropped.push({ key: event.key, reason: 'too_large' });
        continue;
      }
      // The string is embedded JSON-escaped, plus a comma separator.
      const cost = Buffer.byteLength(JSON.stringify(json)) + 1;
      if (chunk.events.length > 0 && size + cost > this.#maxRequestBytes) {
        yield chunk;
        chunk = { events: [], jsons: [] };
        size = overhead;
      }
      chunk.events.push(event);
      chunk.jsons.push(json);
      size += cost;
    }
    if (chunk.events.length > 0) yield chunk;
  }

  #body(jsons: string[]): string {
    return JSON.stringify({ intake_key: this.#intakeKey, jsons });
  }

  async #send(chunk: Chunk, ack: SinkAck): Promise<void> {
    const outcome = await this.#http.send({
      method: 'POST',
      url: this.#url,
      headers: { 'content-type': 'application/json' },
      body: this.#body(chunk.jsons),
    });
    countResent(this.metrics, outcome, chunk.events.length);
    const fail = (reason: string, retryable: boolean) => failEach(ack, chunk.events, reason, retryable);
    if (outcome.kind === 'network') return fail(`Sekoia intake unreachable: ${outcome.reason}`, true);
    const { status, body } = outcome.response;
    if (status >= 200 && status < 300) {
      const accepted = acceptedCount(body);
      if (accepted !== undefined && accepted < chunk.events.length) {
        return fail(
          `Sekoia intake accepted ${accepted} of ${chunk.events.length} events; sending the request again`,
          true,
        );
      }
      for (const e of chunk.events) ack.acknowledged.push(e.key);
      return;
    }
    if (status === 413 && chunk.events.length > 1) {
      // The intake's limit is lower than ours: halve the request rather than fail it.
      const half = Math.ceil(chunk.events.length / 2);
      await this.#send({ events: chunk.events.slice(0, half), jsons: chunk.jsons.slice(0, half) }, ack);
      await this.#send({ events: chunk.events.slice(half), jsons: chunk.jsons.slice(half) }, ack);
      return;
    }
    if (status === 413) {
      ack.dropped.push({ key: chunk.events[0]?.key ?? '', reason: 'too_large' });
      return;
    }
    if (status === 401 || status === 403 || status === 404) {
      return fail(
        `Sekoia intake rejected the intake key (${describeOutcome(outcome)}): check intakeKey and that the intake exists`,
        false,
      );
    }
    if (status === 400) return fail(`Sekoia intake rejected the request: ${describeOutcome(outcome)}`, false);
    return fail(`Sekoia intake failed: ${describeOutcome(outcome)}`, true);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.#lifecycle.close();
  }

  /**
   * Posts an empty batch: the same endpoint and the same intake key as real traffic, yet nothing is ingested.
   * (The intake has no documented health endpoint; a GET on / would prove the network path but not the key.)
   */
  async healthcheck(): Promise<SinkHealth> {
    const closed = this.#lifecycle.closedHealth();
    if (closed) return closed;
    const outcome = await this.#http.once({
      method: 'POST',
      url: this.#url,
      headers: { 'content-type': 'application/json' },
      body: this.#body([]),
    });
    if (outcome.kind === 'response' && outcome.response.status < 300)
      return { ok: true, detail: `intake ${new URL(this.#url).origin} accepted an empty batch` };
    return { ok: false, detail: `intake ${new URL(this.#url).origin}: ${describeOutcome(outcome)}` };
  }
}

/** Number of event ids in a /batch answer, or undefined when the answer does not say. */
function acceptedCount(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { event_ids?: unknown };
    return Array.isArray(parsed.event_ids) ? parsed.event_ids.length : undefined;
  } catch {
    return undefined;
  }
}
