// Splunk HTTP Event Collector: POST {url}/services/collector/event with `Authorization: Splunk <token>` and a body
// of concatenated JSON envelopes {"time", "host", "source", "sourcetype", "index", "event"}. `time` is the row's
// receivedDateTime in epoch seconds, so searches by time find the mail when it was received, not when collected.
//
// With indexer acknowledgement (useAck), a 200 only means "received": each request's ackId is polled on
// /services/collector/ack until the indexers confirm, and only then are its events acknowledged; an ack that does
// not come within ackTimeoutMs fails the events as retryable (Splunk may have lost them in a restart).

import { randomUUID } from 'node:crypto';
import { systemClock } from '../graph/clock.ts';
import { registerSecret } from '../graph/redact.ts';
import type { Clock, Logger } from '../graph/types.ts';
import { graphObject, parseUtcMs } from '../trace/model.ts';
import { countResent, failEach, HttpSinkLifecycle } from './common.ts';
import { describeOutcome, joinUrl, type SinkHttp, type SinkHttpOptions, type SinkHttpOutcome } from './http.ts';
import { answerOf, FATAL_CODES } from './splunk-hec-protocol.ts';
import { type Sink, type SinkAck, type SinkEvent, type SinkHealth, SinkMetrics } from './types.ts';

export const SPLUNK_DEFAULT_SOURCETYPE = 'microsoft:graph:messagetrace';
export const SPLUNK_DEFAULT_SOURCE = 'mailtrace';
export const SPLUNK_MAX_REQUEST_BYTES = 1024 * 1024;

export interface SplunkHecSinkOptions {
  /** Default 'splunk'. */
  name?: string | undefined;
  /** Base URL of the collector, e.g. https://splunk.example.com:8088 (no /services/... path). */
  url: string;
  token: string;
  index?: string | undefined;
  host?: string | undefined;
  source?: string | undefined;
  sourcetype?: string | undefined;
  /** 'raw' (default): the Graph row unchanged; 'ecs': the ECS document. */
  eventFormat?: 'raw' | 'ecs' | undefined;
  maxRequestBytes?: number | undefined;
  /** Indexer acknowledgement: wait for the indexers to confirm each request before acknowledging its events. */
  useAck?: boolean | undefined;
  /** How often the ack endpoint is polled. Default 1 s. */
  ackPollIntervalMs?: number | undefined;
  /** How long a request's ack is awaited before its events fail as retryable. Default 120 s. */
  ackTimeoutMs?: number | undefined;
  caFile?: string | undefined;
  insecure?: boolean | undefined;
  timeoutMs?: number | undefined;
  retry?: SinkHttpOptions['retry'];
  logger?: Logger | undefined;
  clock?: Clock | undefined;
}

interface Chunk {
  events: SinkEvent[];
  lines: string[];
}

interface PendingAck {
  ackId: number;
  events: SinkEvent[];
}

export class SplunkHecSink implements Sink {
  readonly name: string;
  readonly metrics = new SinkMetrics();
  readonly #options: SplunkHecSinkOptions;
  readonly #lifecycle: HttpSinkLifecycle;
  readonly #http: SinkHttp;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #channel = randomUUID();
  readonly #maxRequestBytes: number;
  #warnedNoAckId = false;

  constructor(options: SplunkHecSinkOptions) {
    registerSecret(options.token);
    this.#options = options;
    this.name = options.name ?? 'splunk';
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#maxRequestBytes = options.maxRequestBytes ?? SPLUNK_MAX_REQUEST_BYTES;
    this.#lifecycle = new HttpSinkLifecycle(this.name, 'the Splunk sink is closed', this.metrics, { ...options, clock: this.#clock });
    this.#http = this.#lifecycle.http;
  }

  /** The channel sent in X-Splunk-Request-Channel (one per sink instance). */
  get channel(): string {
    return this.#channel;
  }

  async write(batch: readonly SinkEvent[]): Promise<SinkAck> {
    return this.#lifecycle.write(batch, async (ack) => {
      const pending: PendingAck[] = [];
      for (const chunk of this.#chunks(batch)) await this.#send(chunk, ack, pending);
      if (pending.length > 0) await this.#awaitAcks(pending, ack);
    });
  }

  /** The HEC envelope of one event (one line of the request body). */
  envelope(event: SinkEvent): string {
    const o = this.#options;
    const ms = parseUtcMs(event.row.receivedDateTime);
    return JSON.stringify({
      ...(ms !== undefined ? { time: ms / 1000 } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      source: o.source ?? SPLUNK_DEFAULT_SOURCE,
      sourcetype: o.sourcetype ?? SPLUNK_DEFAULT_SOURCETYPE,
      ...(o.index !== undefined ? { index: o.index } : {}),
      // The raw format carries Graph's object as received (nulls stay null), like the Sekoia sink.
      event: o.eventFormat === 'ecs' ? event.ecs : graphObject(event.row),
    });
  }

  * #chunks(batch: readonly SinkEvent[]): Generator<Chunk> {
    let chunk: Chunk = { events: [], lines: [] };
    let size = 0;
    for (const event of batch) {
      const line = this.envelope(event);
      const cost = Buffer.byteLength(line) + 1;
      if (chunk.events.length > 0 && size + cost > this.#maxRequestBytes) {
        yield chunk;
        chunk = { events: [], lines: [] };
        size = 0;
      }
      chunk.events.push(event);
      chunk.lines.push(line);
      size += cost;
    }
    if (chunk.events.length > 0) yield chunk;
  }

  #headers(): Record<string, string> {
    return {
      authorization: `Splunk ${this.#options.token}`,
      'content-type': 'application/json',
      'x-splunk-request-channel': this.#channel,
    };
  }

  async #send(chunk: Chunk, ack: SinkAck, pending: PendingAck[]): Promise<void> {
    const outcome = await this.#http.send(
      {
        method: 'POST',
        url: joinUrl(this.#options.url, '/services/collector/event'),
        headers: this.#headers(),
        body: chunk.lines.join('\n'),
      },
      (r) => r.status === 429 || r.status >= 500 || answerOf(r.body).code === 9,
    );
    countResent(this.metrics, outcome, chunk.events.length);
    const fail = (events: SinkEvent[], reason: string, retryable: boolean) =>
      failEach(ack, events, reason, retryable);
    if (outcome.kind === 'network')
      return fail(chunk.events, `Splunk HEC unreachable: ${outcome.reason}`, true);
    const answer = answerOf(outcome.response.body);
    const { status } = outcome.response;
    if (status === 200 && (answer.code === 0 || answer.code === undefined)) {
      if (this.#options.useAck && typeof answer.ackId === 'number') {
        pending.push({ ackId: answer.ackId, events: chunk.events });
        return;
      }
      if (this.#options.useAck && !this.#warnedNoAckId) {
        this.#warnedNoAckId = true;
        this.#logger?.warn('sink.splunk.no_ack_id', {
          sink: this.name,
          message:
            'useAck is set but HEC answered without an ackId (acknowledgement is off for this token): events are acknowledged on receipt',
        });
      }
      for (const e of chunk.events) ack.acknowledged.push(e.key);
      return;
    }
    const code = answer.code;
    if (code === 6 && typeof answer['invalid-event-number'] === 'number') {
      // One bad event: reject it alone and send the others again (HEC refuses the request from that event on).
      const bad = chunk.events[answer['invalid-event-number']];
      if (bad && chunk.events.length > 1) {
        // The event itself is what HEC refuses: count it as dropped with its reason (sending it again cannot help).
        ack.dropped.push({ key: bad.key, reason: 'invalid_data_format' });
        const index = answer['invalid-event-number'];
        await this.#send(
          {
            events: chunk.events.filter((_, i) => i !== index),
            lines: chunk.lines.filter((_, i) => i !== index),
          },
          ack,
          pending,
        );
        return;
      }
    }
    if (code !== undefined && FATAL_CODES[code] !== undefined && status < 500) {
      return fail(chunk.events, `Splunk HEC code ${code}: ${FATAL_CODES[code]}`, false);
    }
    if (status === 429 || status >= 500 || code === 8 || code === 9) {
      return fail(chunk.events, `Splunk HEC busy or failing: ${describeOutcome(outcome)}`, true);
    }
    if (status === 401 || status === 403) {
      return fail(chunk.events, `Splunk HEC refused the token: ${describeOutcome(outcome)}`, false);
    }
    return fail(chunk.events, `Splunk HEC rejected the request: ${describeOutcome(outcome)}`, status >= 500);
  }

  /** Polls /services/collector/ack until every ackId is true or ackTimeoutMs has passed. */
  async #awaitAcks(pending: PendingAck[], ack: SinkAck): Promise<void> {
    const interval = this.#options.ackPollIntervalMs ?? 1_000;
    const deadline = this.#clock.now() + (this.#options.ackTimeoutMs ?? 120_000);
    let waiting = pending;
    let lastProblem = '';
    while (waiting.length > 0) {
      const outcome = await this.#http.once({
        method: 'POST',
        url: joinUrl(this.#options.url, '/services/collector/ack'),
        headers: this.#headers(),
        body: JSON.stringify({ acks: waiting.map((p) => p.ackId) }),
      });
      const confirmed = this.#confirmed(outcome);
      if (confirmed.fatal) {
        for (const p of waiting) failEach(ack, p.events, confirmed.fatal, false);
        return;
      }
      lastProblem = confirmed.problem ?? lastProblem;
      const still: PendingAck[] = [];
      for (const p of waiting) {
        if (confirmed.ids.has(p.ackId)) for (const e of p.events) ack.acknowledged.push(e.key);
        else still.push(p);
      }
      waiting = still;
      if (waiting.length === 0) return;
      if (this.#clock.now() + interval > deadline) break;
      await this.#clock.sleep(interval);
    }
    const seconds = (this.#options.ackTimeoutMs ?? 120_000) / 1000;
    const reason = `Splunk indexers did not acknowledge within ${seconds} s${lastProblem ? ` (${lastProblem})` : ''}`;
    for (const p of waiting) failEach(ack, p.events, reason, true);
  }

  #confirmed(outcome: SinkHttpOutcome): { ids: Set<number>; fatal?: string; problem?: string } {
    const ids = new Set<number>();
    if (outcome.kind === 'network') return { ids, problem: `ack poll: ${outcome.reason}` };
    const { status, body } = outcome.response;
    if (status !== 200) {
      const code = answerOf(body).code;
      if (code !== undefined && FATAL_CODES[code] !== undefined && status < 500)
        return { ids, fatal: `Splunk HEC code ${code}: ${FATAL_CODES[code]}` };
      return { ids, problem: `ack poll: ${describeOutcome(outcome)}` };
    }
    try {
      const acks = (JSON.parse(body) as { acks?: Record<string, unknown> }).acks ?? {};
      for (const [id, done] of Object.entries(acks)) if (done === true) ids.add(Number(id));
    } catch {
      return { ids, problem: 'ack poll: unreadable answer' };
    }
    return { ids };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.#lifecycle.close();
  }

  /**
   * GET /services/collector/health says whether HEC accepts data (queues not full); it does not check the token,
   * so an empty POST to the event endpoint follows: HEC answers code 5 "No data" to a valid token (nothing is
   * indexed) and codes 1-4 to a bad one.
   */
  async healthcheck(): Promise<SinkHealth> {
    const closed = this.#lifecycle.closedHealth();
    if (closed) return closed;
    const health = await this.#http.once({
      method: 'GET',
      url: joinUrl(this.#options.url, '/services/collector/health'),
    });
    if (health.kind === 'network' || health.response.status !== 200)
      return { ok: false, detail: `HEC health: ${describeOutcome(health)}` };
    const probe = await this.#http.once({
      method: 'POST',
      url: joinUrl(this.#options.url, '/services/collector/event'),
      headers: this.#headers(),
      body: '',
    });
    if (probe.kind === 'response') {
      const code = answerOf(probe.response.body).code;
      if (code === 5 || code === 0) return { ok: true, detail: `HEC healthy, token accepted` };
      if (code !== undefined && FATAL_CODES[code] !== undefined)
        return { ok: false, detail: `HEC code ${code}: ${FATAL_CODES[code]}` };
    }
    return { ok: false, detail: `HEC token check: ${describeOutcome(probe)}` };
  }
}
