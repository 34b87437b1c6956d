// The bottom of the plugin stack: one HTTP exchange with Graph. Resolves URLs against the version root, refuses to
// send anything (above all the bearer token) to another origin, never follows a redirect, reads at most
// maxResponseBytes of (decompressed) body, applies a timeout, and turns every failure into a GraphError: Graph's
// error body, a non-JSON answer, a redirect, an oversized answer, a timeout or a network failure.
import { randomUUID } from 'node:crypto';
import { systemClock } from './clock.ts';
import { GraphError, redactedRequest } from './errors.ts';
import type { HttpAgent, HttpResponse } from './http-agent.ts';
import { silentLogger } from './logger.ts';
import type { Clock, GraphRequest, GraphResponse, Logger, Send } from './types.ts';

export type GraphVersion = 'v1.0' | 'beta';

export interface TransportOptions {
  /** Graph origin, e.g. https://graph.microsoft.com or the simulator's https://127.0.0.1:port. */
  graphEndpoint: string;
  version?: GraphVersion;
  http: Pick<HttpAgent, 'fetch'>;
  /** Per request, including reading the body (default 60 s). */
  timeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
  userAgent?: string;
  /** Largest body read, after decompression (default 64 MiB). */
  maxResponseBytes?: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * A page of 5,000 message-trace rows or a $batch of 20 pages is a few MB; 64 MiB leaves a wide margin while a
 * compression bomb or a runaway proxy cannot take the process's memory.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** An answer larger than maxResponseBytes: the read stopped there. */
class ResponseTooLarge extends Error {}

export function createTransport(options: TransportOptions): Send {
  const root = `${options.graphEndpoint.replace(/\/+$/, '')}/${options.version ?? 'v1.0'}`;
  const origin = new URL(root).origin;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const userAgent = options.userAgent ?? 'mailtrace';
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  const send = async <T>(request: GraphRequest): Promise<GraphResponse<T>> => {
    const url = resolveUrl(root, origin, request);
    const described = redactedRequest(request.method, url);
    const clientRequestId = headerValue(request.headers, 'client-request-id') ?? randomUUID();
    // Lower-cased keys, so a caller's "Accept" replaces ours instead of being sent twice.
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': userAgent };
    for (const [key, value] of Object.entries(request.headers ?? {})) headers[key.toLowerCase()] = value;
    headers['client-request-id'] = clientRequestId;
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    request.signal?.throwIfAborted();

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
    const started = clock.now();
    let response: HttpResponse;
    let text: string;
    try {
      response = await options.http.fetch(url, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal,
        // Graph answers API calls itself; a redirect comes from something else (a proxy, a fake endpoint), and
        // following it would trust another host's answer as Graph's.
        redirect: 'manual',
      });
      text = await readBody(response, maxResponseBytes);
    } catch (cause) {
      // The caller's abort is not a Graph failure: let it through unchanged so callers can tell them apart.
      if (request.signal?.aborted) throw request.signal.reason;
      if (cause instanceof ResponseTooLarge) {
        throw new GraphError({
          status: response!.status,
          code: 'ResponseTooLarge',
          message:
            `Graph's answer exceeded ${maxResponseBytes} bytes and was not read further ` +
            `(${described.method} ${described.url})`,
          clientRequestId,
          request: described,
        });
      }
      const error = timeout.signal.aborted
        ? new GraphError({
            status: 0,
            code: 'Timeout',
            message: `No answer from Graph within ${timeoutMs} ms (${described.method} ${described.url})`,
            clientRequestId,
            request: described,
            cause,
          })
        : networkError(cause, described, clientRequestId);
      logger.debug('graph.failed', {
        method: described.method,
        url: described.url,
        code: error.code,
        durationMs: clock.now() - started,
        clientRequestId,
      });
      throw error;
    } finally {
      clearTimeout(timer);
    }

    const responseHeaders = new Headers();
    response.headers.forEach((value, key) => {
      responseHeaders.append(key, value);
    });
    const requestId = responseHeaders.get('request-id') ?? undefined;
    logger.debug('graph.response', {
      method: described.method,
      url: described.url,
      status: response.status,
      durationMs: clock.now() - started,
      requestId,
      clientRequestId,
    });

    if (response.status >= 300 && response.status < 400) {
      const location = responseHeaders.get('location');
      const where = location === null ? 'nowhere' : redirectTarget(location, url);
      throw new GraphError({
        status: response.status,
        code: 'Redirected',
        message:
          `Graph answered ${response.status} redirecting to ${where}; mailtrace does not follow redirects (Graph ` +
          `answers API calls itself: check for a proxy or a wrong graphEndpoint) (${described.method} ${described.url})`,
        ...(requestId !== undefined ? { requestId } : {}),
        clientRequestId,
        request: described,
      });
    }
    const ok = response.status >= 200 && response.status < 300;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (cause) {
      if (ok) {
        throw new GraphError({
          status: response.status,
          code: 'InvalidResponse',
          message: `Graph answered ${response.status} with a body that is not JSON (${described.method} ${described.url})`,
          ...(requestId !== undefined ? { requestId } : {}),
          clientRequestId,
          request: described,
          cause,
        });
      }
      parsed = text; // an HTML error page from a proxy: fromResponse quotes its start
    }
    if (!ok) {
      const error = GraphError.fromResponse(response.status, responseHeaders, parsed, described, clock.now());
      error.clientRequestId ??= clientRequestId;
      throw error;
    }
    return {
      status: response.status,
      headers: responseHeaders,
      body: parsed as T,
      requestId,
      clientRequestId,
    };
  };
  return send as Send;
}

/**
 * Relative URLs go under the version root. Absolute ones (nextLinks) must be on Graph's origin: a nextLink that
 * pointed elsewhere would otherwise receive the bearer token.
 */
export function resolveUrl(
  root: string,
  origin: string,
  request: Pick<GraphRequest, 'method' | 'url'>,
): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(request.url) || request.url.startsWith('//')) {
    let target: URL;
    try {
      target = new URL(request.url, origin);
    } catch (cause) {
      throw unsafeUrl(request, `is not a valid URL`, cause);
    }
    if (target.origin !== origin) throw unsafeUrl(request, `is not on the Graph origin ${origin}`);
    return target.href;
  }
  return `${root}${request.url.startsWith('/') ? '' : '/'}${request.url}`;
}

function unsafeUrl(request: Pick<GraphRequest, 'method' | 'url'>, why: string, cause?: unknown): GraphError {
  const described = redactedRequest(request.method, request.url);
  return new GraphError({
    status: 0,
    code: 'UnsafeUrl',
    message: `Refusing to send ${described.method} ${described.url}: it ${why}`,
    request: described,
    ...(cause === undefined ? {} : { cause }),
  });
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

function networkError(
  cause: unknown,
  described: ReturnType<typeof redactedRequest>,
  clientRequestId: string,
): GraphError {
  const reason = rootCause(cause);
  // A certificate problem does not go away by retrying: report it as its own code, with what to configure.
  const tls = TLS_CODES.test(reason.code ?? '');
  return new GraphError({
    status: 0,
    code: tls ? 'TlsError' : 'NetworkError',
    message: tls
      ? `TLS to Graph failed (${reason.code}: ${reason.message}); behind a TLS-inspecting proxy, configure its CA bundle (${described.method} ${described.url})`
      : `Network error calling Graph: ${reason.code ? `${reason.code}: ` : ''}${reason.message} (${described.method} ${described.url})`,
    clientRequestId,
    request: described,
    cause,
  });
}

function rootCause(error: unknown): { code: string | undefined; message: string } {
  let current: unknown = error;
  let code: string | undefined;
  let message = 'fetch failed';
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const c = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof c.code === 'string') code = c.code;
    if (typeof c.message === 'string' && c.message !== '') message = c.message;
    current = c.cause;
  }
  return { code, message };
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** The body as text, stopping with ResponseTooLarge past `limit` bytes (counted after decompression). */
async function readBody(response: HttpResponse, limit: number): Promise<string> {
  if (!response.body) return response.text();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Where a redirect points, as origin + path only: its query may carry anything. */
function redirectTarget(location: string, base: string): string {
  try {
    const target = new URL(location, base);
    return `${target.origin}${target.pathname}`;
  } catch {
    return 'an unreadable location';
  }
}
