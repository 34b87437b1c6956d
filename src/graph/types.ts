// The Graph client's core contract. The client is a `Send` function built from small composable plugins
// (octokit-style): transport at the bottom, then auth, limiters and retry wrapped around it. Paging and $batch
// are built on top of `Send`, not inside it.

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Which tenant-wide budget a request draws from, and how urgently. */
export interface QuotaClaim {
  bucket: 'messageTrace';
  /** Higher goes first: investigations use 'high', the collector 'low'. */
  priority: 'high' | 'normal' | 'low';
}

export interface GraphRequest {
  method: HttpMethod;
  /**
   * Either a path relative to the version root ("/users?$top=999") or an absolute URL that the service handed
   * back (an @odata.nextLink). Query values must already be encoded (see odata.ts).
   */
  url: string;
  headers?: Record<string, string>;
  /** JSON body (serialised by the transport). */
  body?: unknown;
  signal?: AbortSignal;
  /** Limiter key: the mailbox (id or UPN, lower-cased) this request touches; derived from the URL when absent. */
  mailbox?: string;
  quota?: QuotaClaim;
  /** GET/PUT/DELETE are idempotent by default; a POST that is safe to repeat (e.g. $batch of GETs) sets this. */
  idempotent?: boolean;
}

export interface GraphResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  /** Graph's request-id response header, when present. */
  requestId: string | undefined;
  /** The client-request-id this client sent. */
  clientRequestId: string;
}

/** Sends one request and resolves with the response; rejects with GraphError for non-2xx (after retries). */
export type Send = <T = unknown>(request: GraphRequest) => Promise<GraphResponse<T>>;

/** A plugin wraps a Send with extra behaviour (auth, retry, limiting). */
export type Plugin = (next: Send) => Send;

export interface AccessToken {
  token: string;
  /** Epoch milliseconds. */
  expiresOn: number;
  /** Application permissions from the token's `roles` claim. */
  roles: readonly string[];
}

export interface TokenProvider {
  getToken(options?: { forceRefresh?: boolean; signal?: AbortSignal }): Promise<AccessToken>;
}

/** Structured debug logging; every value passes through redaction before it is written. */
export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

/** Injectable time, so tests scale time instead of sleeping. */
export interface Clock {
  now(): number; // epoch ms
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type QuotaPriority = QuotaClaim['priority'];

/**
 * The tenant-wide message-trace budget (100 requests per rolling 5 minutes, shared by every app and process of
 * the tenant). Implemented in memory (graph/quota.ts) and in SQLite (store/) so that processes share it.
 * Lower priorities may only use part of the budget so that an investigation always finds room.
 */
export interface QuotaLedger {
  /** Atomically records one use if `priority` may take it at `nowMs`; otherwise says when to ask again. */
  tryTake(
    tenantId: string,
    bucket: QuotaClaim['bucket'],
    priority: QuotaPriority,
    nowMs: number,
  ): { granted: true } | { granted: false; retryAtMs: number };
  /** Uses recorded in the rolling window ending at `nowMs`. */
  used(tenantId: string, bucket: QuotaClaim['bucket'], nowMs: number): number;
}

export interface QuotaPolicy {
  limit: number; // 100
  windowMs: number; // 300_000
  /**
   * Requests of the window kept free for higher priorities: a 'low' claim is refused once
   * used >= limit - reserve.low.
   */
  reserve: Record<QuotaPriority, number>;
}

export const MESSAGE_TRACE_QUOTA: QuotaPolicy = {
  limit: 100,
  windowMs: 300_000,
  reserve: { high: 0, normal: 10, low: 30 },
};
