// HTTP plumbing shared by the SIEM sinks: one undici dispatcher per sink (CA bundle, proxy, or insecure mode
// when explicitly asked), a timeout per attempt, and bounded retries with backoff for what a later attempt may
// fix (429, 5xx, network errors, timeouts). The sink decides what the final answer means for its events.
//
// Requests here are not idempotent in general (a POST of events may be stored twice if its answer is lost); the
// retry is still right for a SIEM sink: losing events is worse than a rare duplicate, and Elasticsearch's
// `create` with a deterministic _id makes its retries idempotent anyway.

import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
import { systemClock } from '../graph/clock.ts';
import { createHttpAgent, loadCa } from '../graph/http-agent.ts';
import { silentLogger } from '../graph/logger.ts';
import { redactString, redactUrl } from '../graph/redact.ts';
import {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryPolicy,
  retryAfterTooLong,
  retryDelayMs,
} from '../graph/retry-policy.ts';
import type { Clock, Logger } from '../graph/types.ts';

export interface SinkTlsOptions {
  /** PEM bundle of extra trusted CAs (added to Node's roots). */
  caFile?: string | undefined;
  /** Skip certificate verification. Only when asked; a warning is logged once per sink. */
  insecure?: boolean | undefined;
}

export interface SinkHttpOptions extends SinkTlsOptions {
  /** Name of the sink, for log lines. */
  sinkName: string;
  /** Per attempt, from sending the request to reading the whole answer. Default 30 s. */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
  /** Proxy environment (HTTPS_PROXY, NO_PROXY); default process.env. */
  env?: Record<string, string | undefined> | undefined;
}

export interface SinkHttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface SinkHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the last attempt produced after retries: an HTTP answer, or a network failure (never thrown). */
export type SinkHttpOutcome =
  | { kind: 'response'; response: SinkHttpResponse; attempts: number }
  | { kind: 'network'; reason: string; attempts: number };

/** Statuses a later attempt may fix. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export const DEFAULT_SINK_TIMEOUT_MS = 30_000;

/** Sinks retry a little inside one write; the collector retries failed events again at its next pass. */
export const DEFAULT_SINK_RETRY_POLICY: RetryPolicy = Object.freeze({
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxBackoffMs: 10_000,
  maxRetryAfterMs: 60_000,
});

export class SinkHttp {
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #sinkName: string;

  constructor(options: SinkHttpOptions) {
    this.#sinkName = options.sinkName;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_SINK_TIMEOUT_MS;
    this.#policy = { ...DEFAULT_SINK_RETRY_POLICY, ...options.retry };
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    if (options.insecure) {
      this.#logger.warn('sink.tls.insecure', {
        sink: options.sinkName,
        message:
          'TLS certificate verification is OFF for this sink (insecure: true): anyone on the path can read and alter the events and the credentials. Prefer caFile.',
      });
      const ca = loadCa({ caFile: options.caFile });
      this.#dispatcher = new Agent({
        connect: { rejectUnauthorized: false, ...(ca ? { ca } : {}) },
      });
    } else {
      this.#dispatcher = createHttpAgent({
        caFile: options.caFile,
        ...(options.env ? { env: options.env } : {}),
      }).dispatcher;
    }
  }

  /** One attempt. Network failures and timeouts come back as { kind: 'network' }, never as a throw. */
  async once(request: SinkHttpRequest): Promise<SinkHttpOutcome> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await undiciFetch(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal,
        dispatcher: this.#dispatcher,
      });
      const body = await response.text();
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key] = value;
      });
      return { kind: 'response', response: { status: response.status, headers, body }, attempts: 1 };
    } catch (error) {
      const reason = signal.aborted ? `no answer within ${this.#timeoutMs} ms` : describeNetworkError(error);
      return { kind: 'network', reason: redactString(reason), attempts: 1 };
    }
  }

  /**
   * Sends with retries: network errors and RETRYABLE_STATUSES (or what `retryIf` adds) are tried again after
   * Retry-After or backoff, at most maxAttempts in all. Returns the last outcome either way.
   */
  async send(
    request: SinkHttpRequest,
    retryIf: (response: SinkHttpResponse) => boolean = (r) => RETRYABLE_STATUSES.has(r.status),
  ): Promise<SinkHttpOutcome> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(request);
      const retryable = outcome.kind === 'network' || retryIf(outcome.response);
      if (!retryable || attempt >= this.#policy.maxAttempts) return { ...outcome, attempts: attempt };
      const retryAfterMs =
        outcome.kind === 'response'
          ? parseRetryAfter(outcome.response.headers['retry-after'], this.#clock.now())
          : undefined;
      if (retryAfterTooLong(retryAfterMs, this.#policy)) return { ...outcome, attempts: attempt };
      const delayMs = retryDelayMs(attempt, retryAfterMs, this.#policy, this.#random);
      this.#logger.debug('sink.http.retry', {
        sink: this.#sinkName,
        method: request.method,
        url: redactUrl(request.url),
        attempt,
        delayMs,
        ...(outcome.kind === 'response' ? { status: outcome.response.status } : { reason: outcome.reason }),
      });
      await this.#clock.sleep(delayMs);
    }
  }

  /** Attempts allowed per request (and per item, for protocols that retry items inside a 200). */
  get maxAttempts(): number {
    return this.#policy.maxAttempts;
  }

  /** Waits before retry number `attempt` (1 = first retry) with the policy's backoff (the caller counts it). */
  async backoff(attempt: number): Promise<void> {
    await this.#clock.sleep(retryDelayMs(attempt, undefined, this.#policy, this.#random));
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

/** undici hides the useful part (ECONNREFUSED, certificate errors) in `cause`. */
export function describeNetworkError(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause;
  if (cause?.code || cause?.message) return [cause.code, cause.message].filter(Boolean).join(' ');
  return e?.message ?? String(error);
}

/** The request's outcome in a few words for a failure reason (status and a short, redacted body excerpt). */
export function describeOutcome(outcome: SinkHttpOutcome): string {
  if (outcome.kind === 'network') return `network error: ${outcome.reason}`;
  const excerpt = outcome.response.body.slice(0, 300).replace(/\s+/g, ' ').trim();
  return redactString(`HTTP ${outcome.response.status}${excerpt ? `: ${excerpt}` : ''}`);
}

/** Joins a base URL (with or without a path prefix and trailing slash) and an absolute path. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
