// Edge cases the simulator does not produce on demand (a nextLink that always breaks, rows out of order), served
// by a small hand-written Graph endpoint function.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphError } from '../../src/graph/errors.ts';
import type { GraphRequest, GraphResponse, Send } from '../../src/graph/types.ts';
import { readWindow, WindowReadError } from '../../src/trace/fetch-window.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');

interface Served {
  requests: GraphRequest[];
  send: Send;
}

/** Answers every query with `rows(filter)` in pages of `pageSize`; nextLinks fail with 400 when `breakNext` says so. */
function endpoint(
  rowsFor: (start: number, end: number) => { receivedDateTime: string }[],
  breakNext: (request: GraphRequest) => boolean,
): Served {
  const requests: GraphRequest[] = [];
  const send = (async (request: GraphRequest) => {
    requests.push(request);
    const url = new URL(request.url, 'https://graph.test/v1.0/');
    if (url.searchParams.has('page')) {
      if (breakNext(request)) {
        throw new GraphError({
          status: 400,
          code: 'BadRequest',
          message: 'Invalid starting recipient address.',
        });
      }
    }
    const filter = url.searchParams.get('$filter') ?? url.searchParams.get('f') ?? '';
    const [, from, to] = /ge (\S+) and receivedDateTime le (\S+)/.exec(filter) ?? [];
    const top = Number(url.searchParams.get('$top'));
    const all = rowsFor(Date.parse(from!), Date.parse(to!));
    const page = Number(url.searchParams.get('page') ?? '0');
    const items = all.slice(page * top, (page + 1) * top);
    const more = (page + 1) * top < all.length;
    const next = `https://graph.test/v1.0/admin/exchange/tracing/messageTraces?f=${encodeURIComponent(filter)}&$top=${top}&page=${page + 1}`;
    return {
      status: 200,
      headers: new Headers(),
      body: { value: items, ...(more ? { '@odata.nextLink': next } : {}) },
      requestId: undefined,
      clientRequestId: 'x',
    } as GraphResponse<never>;
  }) as Send;
  return { requests, send };
}

function rowsAt(times: number[]) {
  return (start: number, end: number) =>
    times
      .filter((t) => t >= start && t <= end)
      .sort((a, b) => b - a)
      .map((t) => ({ receivedDateTime: new Date(t).toISOString().slice(0, 19) + 'Z' }));
}

test('a nextLink that keeps failing in a one-second window ends in a WindowReadError, not a loop', async () => {
  const served = endpoint(rowsAt([T0, T0, T0, T0]), () => true);
  const seen: unknown[] = [];
  await assert.rejects(
    readWindow(
      { start: T0, end: T0 },
      { send: served.send, pageSize: 2, onPage: async (items) => void seen.push(...items) },
    ),
    (error: unknown) => error instanceof WindowReadError && /one-second window/.test(error.message),
  );
  assert.equal(served.requests.filter((r) => !r.url.includes('page=')).length, 3, 'three attempts in all');
});

test('a 400 on the first request is a refused query, not a broken skiptoken', async () => {
  const send = (async () => {
    throw new GraphError({ status: 400, code: 'BadRequest', message: 'bad filter' });
  }) as Send;
  await assert.rejects(
    readWindow({ start: T0, end: T0 + 60_000 }, { send, onPage: async () => {} }),
    /bad filter/,
  );
});

test('after a broken skiptoken only the unread older part is re-read, split in two, and every row is seen', async () => {
  const times = Array.from({ length: 40 }, (_, i) => T0 + i * 60_000);
  let broken = 0;
  const served = endpoint(rowsAt(times), () => broken++ === 0);
  const seen = new Set<string>();
  const stats = await readWindow(
    { start: T0, end: T0 + 3_600_000 },
    {
      send: served.send,
      pageSize: 10,
      onPage: async (items) => {
        for (const item of items) seen.add((item as { receivedDateTime: string }).receivedDateTime);
      },
    },
  );
  assert.equal(seen.size, 40);
  assert.equal(stats.brokenSkiptokens, 1);
  assert.equal(stats.splits, 1);
  const reread = served.requests.slice(2).map((r) => decodeURIComponent(r.url));
  assert.match(
    reread[0]!,
    /le 2026-03-01T00:30:00Z/,
    'the newer half of the unread part, up to the oldest row read',
  );
});

test('rows out of newest-first order make the whole range be re-read in halves', async () => {
  const times = Array.from({ length: 20 }, (_, i) => T0 + i * 60_000);
  const shuffled = (start: number, end: number) => rowsAt(times)(start, end).reverse(); // oldest first
  let broken = 0;
  const served = endpoint(shuffled, () => broken++ === 0);
  const seen = new Set<string>();
  const stats = await readWindow(
    { start: T0, end: T0 + 3_600_000 },
    {
      send: served.send,
      pageSize: 5,
      onPage: async (items) => {
        for (const item of items) seen.add((item as { receivedDateTime: string }).receivedDateTime);
      },
    },
  );
  assert.equal(seen.size, 20);
  assert.match(
    decodeURIComponent(served.requests[2]!.url),
    /ge 2026-03-01T00:30:00Z and receivedDateTime le 2026-03-01T01:00:00Z/,
  );
  assert.equal(stats.splits, 1);
});

test('a window with more pages than allowed is split; every request claims low-priority message-trace quota', async () => {
  const times = Array.from({ length: 100 }, (_, i) => T0 + i * 30_000);
  const served = endpoint(rowsAt(times), () => false);
  const seen = new Set<string>();
  const stats = await readWindow(
    { start: T0, end: T0 + 3_600_000 },
    {
      send: served.send,
      pageSize: 10,
      maxPagesPerWindow: 3,
      onPage: async (items) => {
        for (const item of items) seen.add((item as { receivedDateTime: string }).receivedDateTime);
      },
    },
  );
  assert.equal(seen.size, 100);
  assert.ok(stats.splits >= 2);
  assert.ok(served.requests.every((r) => r.quota?.bucket === 'messageTrace' && r.quota.priority === 'low'));
});
