// Elasticsearch / OpenSearch: POST {url}/_bulk with NDJSON `{"create":{"_index","_id"}}` + ECS document lines.
// `_id` is the SinkEvent key (trace id + recipient + status), so a redelivered event meets a 409 "already exists"
// and is stored once: 409 counts as acknowledged. A 200 may hold per-item failures: 429 and 5xx items are sent
// again (only those) with backoff a bounded number of times, then fail as retryable. Every other item refusal
// (400 mapping or pipeline errors, 403/404 index errors) is about the cluster's configuration, not the event: it
// fails non-retryable, so the event stays owed and the window open until someone fixes the cluster (one sample
// per error type is kept and logged for diagnosis). Only a document the cluster can never take, alone over its
// request-size limit (413), is dropped.

import { redactString } from '../graph/redact.ts';
import type { Clock, Logger } from '../graph/types.ts';
import {
  authorizationHeaders,
  type BulkItem,
  chunkBySize,
  describeCluster,
  type ElasticsearchAuth,
  type Line,
  registerAuthSecrets,
} from './elasticsearch-bulk.ts';
import { countResent, failEach, HttpSinkLifecycle } from './common.ts';
import { describeOutcome, joinUrl, type SinkHttp, type SinkHttpOptions } from './http.ts';
import { buildIndexTemplate, DEFAULT_INDEX, type IndexTemplateOptions } from './index-template.ts';
import { type Sink, type SinkAck, type SinkEvent, type SinkHealth, SinkMetrics } from './types.ts';

export type { ElasticsearchAuth };

export interface ElasticsearchSinkOptions {
  /** Default 'elasticsearch'. */
  name?: string | undefined;
  /** Base URL of the cluster, e.g. https://es.example.com:9200 (a path prefix behind a proxy is kept). */
  url: string;
  /** Data stream or index. Default logs-microsoft.message_trace-default. */
  index?: string | undefined;
  auth?: ElasticsearchAuth | undefined;
  /** Ingest pipeline to run on each document. */
  pipeline?: string | undefined;
  maxRequestBytes?: number | undefined;
  caFile?: string | undefined;
  insecure?: boolean | undefined;
  timeoutMs?: number | undefined;
  retry?: SinkHttpOptions['retry'];
  logger?: Logger | undefined;
  clock?: Clock | undefined;
}

export const ELASTICSEARCH_MAX_REQUEST_BYTES = 5 * 1024 * 1024;

/** One refused document per error type, so that an operator can see what the cluster refused and why. */
export interface RejectionSample {
  key: string;
  index: string;
  status: number;
  error: string;
}

/** Errors of installIndexTemplate (the sink itself never throws: it answers per event). */
export class ElasticsearchError extends Error {
  override readonly name = 'ElasticsearchError';
}

export class ElasticsearchSink implements Sink {
  readonly name: string;
  readonly metrics = new SinkMetrics();
  readonly rejectionSamples = new Map<string, RejectionSample>();
  /** Documents the cluster already held (409 on create): acknowledged, counted here for visibility. */
  alreadyStored = 0;
  readonly #options: ElasticsearchSinkOptions;
  readonly #index: string;
  readonly #lifecycle: HttpSinkLifecycle;
  readonly #http: SinkHttp;
  readonly #logger: Logger | undefined;
  readonly #maxRequestBytes: number;

  constructor(options: ElasticsearchSinkOptions) {
    registerAuthSecrets(options.auth);
    this.#options = options;
    this.name = options.name ?? 'elasticsearch';
    this.#index = options.index ?? DEFAULT_INDEX;
    this.#logger = options.logger;
    this.#maxRequestBytes = options.maxRequestBytes ?? ELASTICSEARCH_MAX_REQUEST_BYTES;
    this.#lifecycle = new HttpSinkLifecycle(this.name, 'the Elasticsearch sink is closed', this.metrics, options);
    this.#http = this.#lifecycle.http;
  }

  async write(batch: readonly SinkEvent[]): Promise<SinkAck> {
    return this.#lifecycle.write(batch, async (ack) => {
      const lines = batch.map((event) => ({ event, text: this.#bulkLines(event) }));
      for (const chunk of chunkBySize(lines, this.#maxRequestBytes))
        await this.#sendWithItemRetries(chunk, ack);
    });
  }

  /** The two NDJSON lines of one event (action and document), each ending with a newline. */
  #bulkLines(event: SinkEvent): string {
    return `${JSON.stringify({ create: { _index: this.#index, _id: event.key } })}\n${JSON.stringify(event.ecs)}\n`;
  }

  /**
   * Sends a chunk; items the cluster answered 429/5xx for are sent again alone, with backoff, a bounded number
   * of times.
   */
  async #sendWithItemRetries(chunk: Line[], ack: SinkAck): Promise<void> {
    let todo = chunk;
    for (let attempt = 1; todo.length > 0; attempt++) {
      const retry = await this.#sendBulk(todo, ack, attempt >= this.#http.maxAttempts);
      if (retry.length === 0) return;
      this.metrics.retried += retry.length;
      await this.#http.backoff(attempt);
      todo = retry;
    }
  }

  /** Returns the lines to send again (item 429/5xx) unless `last`, in which case they fail as retryable. */
  async #sendBulk(lines: Line[], ack: SinkAck, last: boolean): Promise<Line[]> {
    const query = this.#options.pipeline ? `?pipeline=${encodeURIComponent(this.#options.pipeline)}` : '';
    const outcome = await this.#http.send({
      method: 'POST',
      url: joinUrl(this.#options.url, `/_bulk${query}`),
      headers: { ...authorizationHeaders(this.#options.auth), 'content-type': 'application/x-ndjson' },
      body: lines.map((l) => l.text).join(''),
    });
    countResent(this.metrics, outcome, lines.length);
    const fail = (subset: Line[], reason: string, retryable: boolean) =>
      failEach(
        ack,
        subset.map((l) => l.event),
        reason,
        retryable,
      );
    if (outcome.kind === 'network') {
      fail(lines, `Elasticsearch unreachable: ${outcome.reason}`, true);
      return [];
    }
    const { status, body } = outcome.response;
    if (status === 413) {
      const [only] = lines;
      if (lines.length === 1 && only) {
        ack.dropped.push({ key: only.event.key, reason: 'too_large' });
        return [];
      }
      const half = Math.ceil(lines.length / 2);
      await this.#sendWithItemRetries(lines.slice(0, half), ack);
      await this.#sendWithItemRetries(lines.slice(half), ack);
      return [];
    }
    if (status === 401) {
      fail(lines, 'Elasticsearch refused the credentials (401): check apiKey or username/password', false);
      return [];
    }
    if (status === 403) {
      fail(
        lines,
        `Elasticsearch denied writing to ${this.#index} (403): the credentials need the create_doc privilege on it`,
        false,
      );
      return [];
    }
    if (status !== 200) {
      fail(lines, `Elasticsearch bulk failed: ${describeOutcome(outcome)}`, status === 429 || status >= 500);
      return [];
    }
    let items: BulkItem[];
    try {
      const parsed = JSON.parse(body) as { items?: Record<string, BulkItem>[] };
      items = (parsed.items ?? []).map((item) => item.create ?? Object.values(item)[0] ?? {});
    } catch {
      fail(lines, 'Elasticsearch answered 200 with an unreadable body', true);
      return [];
    }
    if (items.length !== lines.length) {
      fail(lines, `Elasticsearch answered ${items.length} items for ${lines.length} documents`, true);
      return [];
    }
    const retry: Line[] = [];
    for (const [i, line] of lines.entries()) this.#settleItem(line, items[i] ?? {}, ack, retry, last);
    return retry;
  }

  #settleItem(line: Line, item: BulkItem, ack: SinkAck, retry: Line[], last: boolean): void {
    const key = line.event.key;
    const status = item.status ?? 0;
    const type = item.error?.type ?? `http_${status}`;
    if (status >= 200 && status < 300) {
      ack.acknowledged.push(key);
    } else if (status === 409) {
      this.alreadyStored++;
      ack.acknowledged.push(key);
    } else if (status === 429 || status >= 500) {
      if (last) ack.failed.push({ key, reason: `Elasticsearch item ${status} ${type}`, retryable: true });
      else retry.push(line);
    } else {
      // 400 (mapping, pipeline, index name) or 403/404 (index missing or forbidden): sending again cannot help
      // until someone fixes the cluster or the config, and the event must not be lost meanwhile.
      const detail = redactString(item.error?.reason ?? '').slice(0, 300);
      this.#keepSample(key, status, type, detail);
      ack.failed.push({ key, reason: `Elasticsearch item ${status} ${type}: ${detail}`, retryable: false });
    }
  }

  #keepSample(key: string, status: number, type: string, error: string): void {
    if (this.rejectionSamples.has(type)) return;
    const sample: RejectionSample = { key, index: this.#index, status, error };
    this.rejectionSamples.set(type, sample);
    this.#logger?.warn('sink.elasticsearch.rejected', { sink: this.name, reason: type, sample });
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.#lifecycle.close();
  }

  /**
   * GET / (cluster info), then the ingest pipeline if one is configured: a missing pipeline makes the cluster
   * refuse every document, so `sinks check` and doctor must say so before the first cycle does. A 403 still
   * proves the cluster is up and the credentials authenticate: a key restricted to create_doc on one data stream
   * (least privilege) may not read cluster info or pipelines, and can write all the same.
   */
  async healthcheck(): Promise<SinkHealth> {
    const closed = this.#lifecycle.closedHealth();
    if (closed) return closed;
    const cluster = await this.#clusterHealth();
    if (!cluster.ok || this.#options.pipeline === undefined) return cluster;
    const pipeline = await this.#pipelineHealth(this.#options.pipeline);
    return pipeline.ok ? { ok: true, detail: `${cluster.detail}; ${pipeline.detail}` } : pipeline;
  }

  async #clusterHealth(): Promise<SinkHealth> {
    const outcome = await this.#http.once({
      method: 'GET',
      url: joinUrl(this.#options.url, '/'),
      headers: authorizationHeaders(this.#options.auth),
    });
    if (outcome.kind === 'response') {
      const { status, body } = outcome.response;
      if (status === 200) return { ok: true, detail: describeCluster(body) };
      if (status === 403)
        return {
          ok: true,
          detail: 'authenticated (the credentials may not read cluster info; writing is allowed)',
        };
      if (status === 401)
        return { ok: false, detail: 'credentials refused (401): check apiKey or username/password' };
    }
    return { ok: false, detail: describeOutcome(outcome) };
  }

  async #pipelineHealth(pipeline: string): Promise<SinkHealth> {
    const outcome = await this.#http.once({
      method: 'GET',
      url: joinUrl(this.#options.url, `/_ingest/pipeline/${encodeURIComponent(pipeline)}`),
      headers: authorizationHeaders(this.#options.auth),
    });
    const status = outcome.kind === 'response' ? outcome.response.status : 0;
    if (status === 200) return { ok: true, detail: `ingest pipeline ${pipeline} exists` };
    if (status === 403)
      return { ok: true, detail: `ingest pipeline ${pipeline} not checked (the credentials may not read it)` };
    if (status === 404)
      return {
        ok: false,
        detail: `ingest pipeline ${pipeline} does not exist: create it or remove \`pipeline\` from the sink`,
      };
    return { ok: false, detail: `ingest pipeline ${pipeline}: ${describeOutcome(outcome)}` };
  }

  /** PUTs the index template for this sink's index (see index-template.ts); returns the template's name. */
  async installIndexTemplate(options: Omit<IndexTemplateOptions, 'index'> = {}): Promise<string> {
    const template = buildIndexTemplate({ ...options, index: this.#index });
    const outcome = await this.#http.send({
      method: 'PUT',
      url: joinUrl(this.#options.url, `/_index_template/${encodeURIComponent(template.name)}`),
      headers: { ...authorizationHeaders(this.#options.auth), 'content-type': 'application/json' },
      body: JSON.stringify(template.body),
    });
    if (outcome.kind === 'response' && outcome.response.status === 200) return template.name;
    throw new ElasticsearchError(
      `Installing index template ${template.name} failed: ${describeOutcome(outcome)}` +
        (outcome.kind === 'response' && outcome.response.status === 403
          ? ' (the credentials need the manage_index_templates cluster privilege)'
          : ''),
    );
  }
}

/** Installs the index template with a short-lived sink (the `mailtrace sinks install-template` command). */
export async function installIndexTemplate(
  config: ElasticsearchSinkOptions,
  options: Omit<IndexTemplateOptions, 'index'> = {},
): Promise<string> {
  const sink = new ElasticsearchSink(config);
  try {
    return await sink.installIndexTemplate(options);
  } finally {
    await sink.close();
  }
}
