// The Graph client's typed errors: GraphError for anything Graph (or the network on the way to it) answered,
// TokenError for Entra token failures. Both carry only redacted data: no token, secret or assertion.

import { asRecord, asString } from './json.ts';
import { redactString, redactUrl } from './redact.ts';
import { parseRetryAfter } from './retry-policy.ts';

export interface RedactedRequest {
  method: string;
  /** Query values of secrets stripped. */
  url: string;
}

export interface GraphErrorInit {
  status: number;
  code: string;
  message: string;
  requestId?: string;
  clientRequestId?: string;
  date?: string;
  retryAfterMs?: number;
  request?: RedactedRequest;
  cause?: unknown;
}

export class GraphError extends Error {
  override readonly name = 'GraphError';
  /** HTTP status; 0 for network errors and timeouts. */
  status: number;
  /** Graph's error.code, or 'NetworkError' / 'Timeout' / 'InvalidResponse'. */
  code: string;
  requestId: string | undefined;
  clientRequestId: string | undefined;
  date: string | undefined;
  retryAfterMs: number | undefined;
  request: RedactedRequest | undefined;

  constructor(init: GraphErrorInit) {
    super(redactString(init.message), init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.clientRequestId = init.clientRequestId;
    this.date = init.date;
    this.retryAfterMs = init.retryAfterMs;
    this.request = init.request;
  }

  /**
   * From a Graph error response (top-level or a $batch item): body {error:{code,message,innerError}} + headers.
   * Tolerates bodies that are not Graph's shape (proxies, load balancers answer HTML or nothing).
   */
  static fromResponse(
    status: number,
    headers: Headers | Record<string, string>,
    body: unknown,
    request?: RedactedRequest,
    nowMs: number = Date.now(),
  ): GraphError {
    const header = headerReader(headers);
    const error = asRecord(asRecord(body)?.error);
    const inner = asRecord(error?.innerError) ?? asRecord(error?.innererror);
    const code = asString(error?.code) ?? fallbackCode(status);
    const graphMessage = asString(error?.message) ?? describeNonGraphBody(body);
    const requestId = header('request-id') ?? asString(inner?.['request-id']);
    const clientRequestId = header('client-request-id') ?? asString(inner?.['client-request-id']);
    const date = asString(inner?.date) ?? header('date');
    const retryAfterMs = parseRetryAfter(header('retry-after'), nowMs);
    const where = request ? ` (${request.method} ${request.url})` : '';
    return new GraphError({
      status,
      code,
      message: `Graph answered ${status} ${code}: ${graphMessage}${where}`,
      ...(requestId !== undefined ? { requestId } : {}),
      ...(clientRequestId !== undefined ? { clientRequestId } : {}),
      ...(date !== undefined ? { date } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(request !== undefined ? { request } : {}),
    });
  }
}

/** A request description safe to put in an error or a log line. */
export function redactedRequest(method: string, url: string): RedactedRequest {
  return { method, url: redactUrl(url) };
}

export interface TokenErrorInit {
  message: string;
  /** AADSTS number from error_codes (e.g. 7000215), when Entra gave one. */
  aadstsCode: number | undefined;
  /** OAuth error (invalid_client, unauthorized_client, ...), or a local reason (network_error, invalid_credential). */
  error: string;
  explanation: string;
  fix: string;
  status?: number;
  traceId?: string;
  correlationId?: string;
  cause?: unknown;
}

/** Entra refused (or could not be asked for) a token. Never carries the secret, assertion or token. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  aadstsCode: number | undefined;
  error: string;
  /** What went wrong, in plain language. */
  explanation: string;
  /** What to do about it. */
  fix: string;
  status: number | undefined;
  traceId: string | undefined;
  correlationId: string | undefined;

  constructor(init: TokenErrorInit) {
    super(redactString(init.message), init.cause === undefined ? undefined : { cause: init.cause });
    this.aadstsCode = init.aadstsCode;
    this.error = init.error;
    this.explanation = init.explanation;
    this.fix = init.fix;
    this.status = init.status;
    this.traceId = init.traceId;
    this.correlationId = init.correlationId;
  }
}

/** 404 MailboxNotEnabledForRESTAPI: the user has no Exchange Online mailbox (guest, unlicensed, on-premises). */
export function isNoMailbox(e: unknown): boolean {
  return e instanceof GraphError && e.status === 404 && e.code === 'MailboxNotEnabledForRESTAPI';
}

const MAILBOX_NOT_FOUND_CODES = new Set(['ResourceNotFound', 'ErrorInvalidUser', 'Request_ResourceNotFound']);

/** 404 ResourceNotFound / ErrorInvalidUser / Request_ResourceNotFound: the mailbox or user does not resolve. */
export function isMailboxNotFound(e: unknown): boolean {
  return e instanceof GraphError && e.status === 404 && MAILBOX_NOT_FOUND_CODES.has(e.code);
}

/** 403 ErrorAccessDenied: an application access policy / RBAC for Applications scope excludes this mailbox. */
export function isAccessDeniedByPolicy(e: unknown): boolean {
  return e instanceof GraphError && e.status === 403 && e.code === 'ErrorAccessDenied';
}

export function isThrottled(e: unknown): boolean {
  return e instanceof GraphError && e.status === 429;
}

/**
 * Worth retrying after a wait: 429, 503, 504 (Graph's documented throttling / transient answers), network errors and
 * timeouts. Not 500: Graph's 500s are usually deterministic for the request (a query a mailbox cannot run), and
 * repeating them would burn the tenant's tiny message-trace budget for nothing. Not 502 either, for the same
 * reason Graph does not document it as retryable; a proxy that answers 502 surfaces as an error the user can see.
 */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof GraphError)) return false;
  if (e.status === 0) return e.code === 'NetworkError' || e.code === 'Timeout';
  return e.status === 429 || e.status === 503 || e.status === 504;
}

/**
 * Credentials or permissions are wrong for the whole app, not for one mailbox: a TokenError, any 401, and a 403 that
 * is not a per-mailbox access policy (e.g. Authorization_RequestDenied for a missing permission).
 */
export function isAuthError(e: unknown): boolean {
  if (e instanceof TokenError) return true;
  if (!(e instanceof GraphError)) return false;
  return e.status === 401 || (e.status === 403 && e.code !== 'ErrorAccessDenied');
}

function fallbackCode(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceUnavailable';
  if (status === 504) return 'GatewayTimeout';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  return 'UnknownError';
}

function describeNonGraphBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return 'no error body';
  if (typeof body === 'string') return body.length > 200 ? `${body.slice(0, 200)}…` : body;
  return 'error body without error.message';
}

function headerReader(headers: Headers | Record<string, string>): (name: string) => string | undefined {
  // Duck-typed: undici's Headers is not the global Headers class.
  if (typeof (headers as Headers).get === 'function') {
    return (name) => (headers as Headers).get(name) ?? undefined;
  }
  const lower = new Map(
    Object.entries(headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return (name) => lower.get(name);
}
