// The JSON $batch wire format (Graph "Combine multiple requests in one HTTP call"): pure functions that build a
// request body and read a reply. No I/O, so the scheduler in batch.ts stays about scheduling.

/** At most 20 requests per $batch; more is answered 400 for the whole batch. */
export const MAX_BATCH_SIZE = 20;

export interface WireRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export interface WireResponse {
  id: string;
  status: number;
  /** Lower-cased names: Graph documents header names as case-insensitive and proxies rewrite them. */
  headers: Record<string, string>;
  body: unknown;
}

/**
 * $batch items take URLs relative to the version root: an absolute URL (a nextLink) loses its origin and a
 * '/v1.0' or '/beta' prefix is dropped (the batch endpoint's own version applies).
 */
export function toBatchUrl(url: string): string {
  let path = url;
  const absolute = /^https?:\/\/[^/]+(\/.*)?$/i.exec(url);
  if (absolute) path = absolute[1] ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const version = /^\/(?:v1\.0|beta)(?=[/?]|$)/i.exec(path);
  if (version) path = path.slice(version[0].length);
  if (!path.startsWith('/')) path = `/${path}`;
  return path;
}

/** Graph rejects an item with a body but no Content-Type; JSON is what this client sends. */
export function itemHeaders(
  headers: Record<string, string> | undefined,
  hasBody: boolean,
): Record<string, string> | undefined {
  if (!hasBody) return headers && Object.keys(headers).length > 0 ? headers : undefined;
  const hasContentType = Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'content-type');
  return hasContentType ? headers : { ...headers, 'Content-Type': 'application/json' };
}

export function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === null || typeof headers !== 'object') return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value !== undefined && value !== null) out[name.toLowerCase()] = String(value);
  }
  return out;
}

/** Responses by id; entries without a usable id or status are ignored (their items count as unanswered). */
export function parseBatchReply(body: unknown): Map<string, WireResponse> {
  const byId = new Map<string, WireResponse>();
  const responses = (body as { responses?: unknown } | null)?.responses;
  if (!Array.isArray(responses)) return byId;
  for (const raw of responses) {
    if (raw === null || typeof raw !== 'object') continue;
    const { id, status, headers, body: itemBody } = raw as Record<string, unknown>;
    if ((typeof id !== 'string' && typeof id !== 'number') || typeof status !== 'number') continue;
    byId.set(String(id), { id: String(id), status, headers: lowerCaseHeaders(headers), body: itemBody });
  }
  return byId;
}
