// Paging over @odata.nextLink as an AsyncIterable (octokit's paginate, Graph flavour). The nextLink is followed
// whole and unmodified: its $skiptoken is opaque. Graph does not carry request headers into the nextLink, so an
// advanced query (ConsistencyLevel: eventual) must send them again on every page, and so must quota and mailbox
// claims, or page 2 fails or escapes the limits.
import { GraphError, redactedRequest } from './errors.ts';
import type { GraphRequest, GraphResponse, Send } from './types.ts';

export interface GraphPage<T> {
  items: T[];
  /** @odata.count of the first page (Graph only sends it there), repeated on every page. */
  count: number | undefined;
  nextLink: string | undefined;
  response: GraphResponse;
}

interface CollectionBody<T> {
  value: T[];
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
}

/**
 * A 2xx must carry the collection. A body that is not an object (a proxy's empty answer, a truncated body), `{}`,
 * or an error body sent with 200 must not read as an empty page: a collector would checkpoint the window as
 * holding no rows. Graph always sends `value`, as `[]` when a collection is empty (OData JSON format 4.01 §12).
 */
function readCollection<T>(body: unknown, request: GraphRequest, response: GraphResponse): CollectionBody<T> {
  const collection = body !== null && typeof body === 'object' ? (body as CollectionBody<T>) : undefined;
  if (collection && Array.isArray(collection.value)) return collection;
  throw new GraphError({
    status: response.status,
    code: 'InvalidResponse',
    message: `Graph answered ${response.status} without a collection ("value" array) for ${request.method} ${request.url}`,
    request: redactedRequest(request.method, request.url),
  });
}

/** Yields each page of a collection, following @odata.nextLink until there is none. */
export async function* pages<T>(send: Send, request: GraphRequest): AsyncIterable<GraphPage<T>> {
  let current: GraphRequest = request;
  let count: number | undefined;
  let first = true;
  // The first URL counts as followed: a nextLink back to it would page forever too.
  const followed = new Set<string>([request.url]);
  for (;;) {
    const response = await send<unknown>(current);
    const body = readCollection<T>(response.body, current, response);
    if (first) {
      count = typeof body['@odata.count'] === 'number' ? body['@odata.count'] : undefined;
      first = false;
    }
    const nextLink = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined;
    yield { items: body.value, count, nextLink, response };
    if (nextLink === undefined) return;
    // A nextLink seen before would page forever.
    if (followed.has(nextLink))
      throw new GraphError({
        status: response.status,
        code: 'InvalidResponse',
        message: `Graph sent a nextLink that was already followed (paging would never end) for ${request.method} ${request.url}`,
        request: redactedRequest(request.method, request.url),
      });
    followed.add(nextLink);
    // Same headers, signal, quota and mailbox claim; a nextLink is always a GET without a body.
    const { body: _body, ...rest } = request;
    current = { ...rest, method: 'GET', url: nextLink };
  }
}

/** Yields every item of every page. */
export async function* paginate<T>(send: Send, request: GraphRequest): AsyncIterable<T> {
  for await (const page of pages<T>(send, request)) yield* page.items;
}

/** Drains an async iterable into an array. */
export async function collectAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of iterable) all.push(item);
  return all;
}
