// Paging over @odata.nextLink as an AsyncIterable (octokit's paginate, Graph flavour). The nextLink is followed
// whole and unmodified: its $skiptoken is opaque. Graph does not carry request headers into the nextLink, so an
// advanced query (ConsistencyLevel: eventual) must send them again on every page, and so must quota and mailbox
// claims, or page 2 fails or escapes the limits.
import type { GraphRequest, GraphResponse, Send } from './types.ts';

export interface GraphPage<T> {
  items: T[];
  /** @odata.count of the first page (Graph only sends it there), repeated on every page. */
  count: number | undefined;
  nextLink: string | undefined;
  response: GraphResponse;
}

interface CollectionBody<T> {
  value?: T[];
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
}

function readCollection<T>(body: unknown): CollectionBody<T> {
  return body !== null && typeof body === 'object' ? (body as CollectionBody<T>) : {};
}

/** Yields each page of a collection, following @odata.nextLink until there is none. */
export async function* pages<T>(send: Send, request: GraphRequest): AsyncIterable<GraphPage<T>> {
  let current: GraphRequest = request;
  let count: number | undefined;
  let first = true;
  for (;;) {
    const response = await send<unknown>(current);
    const body = readCollection<T>(response.body);
    if (first) {
      count = typeof body['@odata.count'] === 'number' ? body['@odata.count'] : undefined;
      first = false;
    }
    const nextLink = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined;
    yield { items: Array.isArray(body.value) ? body.value : [], count, nextLink, response };
    if (nextLink === undefined) return;
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
