import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GraphError } from '../../src/graph/errors.ts';
import { collectAll, pages, paginate } from '../../src/graph/paging.ts';
import type { GraphRequest, Send } from '../../src/graph/types.ts';
import { startTestServer, type TestServer } from './graph-test-server.ts';

let server: TestServer;

// /users with an advanced query: every page, including nextLinks, must carry ConsistencyLevel: eventual, as Graph
// answers 400 Request_UnsupportedQuery otherwise. The skiptoken holds characters that break if re-encoded.
before(async () => {
  server = await startTestServer((request) => {
    const url = new URL(request.url, 'http://x');
    if (url.pathname !== '/users')
      return { status: 404, body: { error: { code: 'NotFound', message: 'no' } } };
    if (request.headers.consistencylevel !== 'eventual') {
      return {
        status: 400,
        body: { error: { code: 'Request_UnsupportedQuery', message: 'needs eventual' } },
      };
    }
    const page = Number(url.searchParams.get('$skiptoken')?.split('|')[0] ?? '0');
    const users = [0, 1].map((i) => ({ id: `u${page * 2 + i}` }));
    const next =
      page < 2 ? `${server.baseUrl}/v1.0/users?$count=true&$skiptoken=${page + 1}%7Ca%2Bb%3D%3D` : undefined;
    return {
      status: 200,
      body: {
        ...(page === 0 ? { '@odata.count': 6 } : {}),
        value: users,
        ...(next ? { '@odata.nextLink': next } : {}),
      },
    };
  });
});
after(() => server.close());

const advancedQuery: GraphRequest = {
  method: 'GET',
  url: '/users?$filter=mail%20ne%20null&$count=true',
  headers: { ConsistencyLevel: 'eventual' },
};

test('pages follows the whole nextLink and re-sends ConsistencyLevel on every page', async () => {
  const before = server.requests.length;
  const all = await collectAll(pages<{ id: string }>(server.send, advancedQuery));
  assert.deepEqual(
    all.map((page) => page.items.map((u) => u.id)),
    [
      ['u0', 'u1'],
      ['u2', 'u3'],
      ['u4', 'u5'],
    ],
  );
  assert.deepEqual(
    all.map((page) => page.count),
    [6, 6, 6],
  );
  assert.equal(all[2]?.nextLink, undefined);
  assert.equal(all[0]?.response.status, 200);
  const seen = server.requests.slice(before).map((r) => r.url);
  assert.equal(seen[1], '/users?$count=true&$skiptoken=1%7Ca%2Bb%3D%3D', 'nextLink sent unmodified');
});

test('without the header page 1 fails with a typed error (the server really checks)', async () => {
  await assert.rejects(
    collectAll(paginate(server.send, { method: 'GET', url: '/users?$count=true' })),
    (error: unknown) => error instanceof GraphError && error.code === 'Request_UnsupportedQuery',
  );
});

test('paginate yields items; quota, mailbox and signal travel with every page; body is dropped', async () => {
  const seen: GraphRequest[] = [];
  const recording: Send = (request) => {
    seen.push(request);
    return server.send(request);
  };
  const signal = new AbortController().signal;
  const ids = await collectAll(
    paginate<{ id: string }>(recording, {
      ...advancedQuery,
      mailbox: 'm@x',
      quota: { bucket: 'messageTrace', priority: 'high' },
      signal,
    }),
  );
  assert.deepEqual(
    ids.map((u) => u.id),
    ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'],
  );
  assert.equal(seen.length, 3);
  for (const request of seen.slice(1)) {
    assert.equal(request.method, 'GET');
    assert.equal(request.mailbox, 'm@x');
    assert.deepEqual(request.quota, { bucket: 'messageTrace', priority: 'high' });
    assert.equal(request.signal, signal);
    assert.equal(request.headers?.ConsistencyLevel, 'eventual');
    assert.equal('body' in request, false);
  }
});

/** A Send that answers every request with status 200 and the given bodies in turn. */
function answering(...bodies: unknown[]): Send & { urls: string[] } {
  const urls: string[] = [];
  const send = (async (request: GraphRequest) => {
    urls.push(request.url);
    return { status: 200, headers: new Headers(), body: bodies[Math.min(urls.length, bodies.length) - 1], requestId: undefined, clientRequestId: 'c' };
  }) as Send & { urls: string[] };
  send.urls = urls;
  return send;
}

test('a 200 without the collection is an InvalidResponse, never an empty page', async () => {
  // {} and an error body sent with 200 once read as "no rows": the collector checkpointed a window as empty.
  for (const body of [{}, { error: { code: 'InternalServerError', message: 'boom' } }, { value: 'x' }, null, 'ok']) {
    await assert.rejects(
      collectAll(paginate(answering(body), { method: 'GET', url: '/x' })),
      (error: unknown) => error instanceof GraphError && error.code === 'InvalidResponse',
      `body ${JSON.stringify(body)}`,
    );
  }
  assert.deepEqual(await collectAll(paginate(answering({ value: [] }), { method: 'GET', url: '/x' })), []);
});

test('a nextLink back to a URL already read (the first one included) fails instead of reading it again', async () => {
  const first = 'https://g/v1.0/x?$filter=a';
  const loop = answering({ value: [1], '@odata.nextLink': first });
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const item of paginate<number>(loop, { method: 'GET', url: first })) got.push(item);
  }, (error: unknown) => error instanceof GraphError && error.code === 'InvalidResponse');
  assert.deepEqual(loop.urls, [first], 'the first page is read once');
  assert.deepEqual(got, [1]);
});

test('a failed page propagates after the items of the pages before it', async () => {
  let calls = 0;
  const failingSecond: Send = (async () => {
    calls++;
    if (calls === 2) throw new GraphError({ status: 400, code: 'BadSkipToken', message: 'broken skiptoken' });
    return {
      status: 200,
      headers: new Headers(),
      body: { value: [1], '@odata.nextLink': 'https://g/v1.0/x?$skiptoken=z' },
      requestId: undefined,
      clientRequestId: 'c',
    };
  }) as Send;
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const item of paginate<number>(failingSecond, { method: 'GET', url: '/x' })) got.push(item);
  }, /broken skiptoken/);
  assert.deepEqual(got, [1], 'items of the pages before the failure were delivered');
});
