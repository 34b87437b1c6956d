// Malformed Graph answers from a small local server (not the simulator; tokens still come from the simulator's
// Entra): not JSON, truncated JSON, missing fields, unknown enum values, wrong types, huge pages, a nextLink to a
// foreign host. The client, the trace search and the mailbox search give clear errors or count what they could
// not use; nothing crashes, nothing loops, and nothing is reported as found that Graph did not say.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import { pages } from '../../src/graph/paging.ts';
import { outcomeProblems } from '../../src/investigate/model.ts';
import { searchMailboxes } from '../../src/investigate/search.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { searchTraces } from '../../src/trace/search.ts';

type Answer = { status?: number; body: string; headers?: Record<string, string> };
let answer: (req: IncomingMessage) => Answer = () => ({ body: '{}' });
let served = 0;
let sim: Simulator;
let client: GraphClient;
let base = '';
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  served++;
  const a = answer(req);
  res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
  res.end(a.body);
});

before(async () => {
  const tenant = generateTenant({ users: 30, days: 1, seed: 5, messagesPerUserPerDay: 0 });
  sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency: 'zero' });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = tenant.apps[0]!;
  client = createGraphClient({
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    credential: { clientSecret: app.secrets.find((s) => Date.parse(s.expiresAt) > sim.clock.nowMs())!.value },
    authorityHost: sim.url,
    graphEndpoint: base,
    caPem: sim.caCertPem,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxBackoffMs: 2 },
    env: {},
  });
});
after(async () => {
  await client.close();
  server.close();
  await sim.close();
});

const row = (over: Record<string, unknown> = {}) => ({
  id: 'a1b2c3d4-0000-4000-8000-000000000001',
  messageId: '<x@fabrikam.com>',
  senderAddress: 'a@fabrikam.com',
  recipientAddress: 'b@contoso.com',
  receivedDateTime: '2026-01-15T09:00:00Z',
  subject: 's',
  size: 10,
  fromIP: '1.2.3.4',
  toIP: '',
  status: 'delivered',
  ...over,
});
const page = (value: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ value, ...extra });

async function traceSearch() {
  const now = Date.parse('2026-01-15T10:00:00Z');
  return searchTraces(
    { messageId: '<x@fabrikam.com>' },
    { send: client.send, from: now - 3_600_000, until: now, now, limit: 100 },
  );
}

async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    assert.ok(error instanceof Error, `throws an Error, not ${String(error)}`);
    return { ok: false, error };
  }
}

test('not JSON and truncated JSON: a clear error naming the request, not a crash', async () => {
  for (const body of ['<html>gateway</html>', '{"value":[{"id":"a1', '', 'null']) {
    answer = () => ({ body });
    const r = await settle(traceSearch());
    assert.equal(r.ok, false, `body ${JSON.stringify(body)} must fail`);
    if (!r.ok) {
      assert.match(r.error.message, /JSON|parse|body|response|collection/i, r.error.message);
      assert.match(r.error.message, /messageTraces/, 'the error names the request');
    }
  }
});

test('rows with missing fields, wrong types or unknown statuses: counted as invalid or kept as unknown, never invented', async () => {
  answer = () => ({
    body: page([
      row(),
      row({ id: undefined }),
      row({ recipientAddress: 42 }),
      row({ receivedDateTime: 'yesterday' }),
      row({ status: 'somethingNew', id: 'a1b2c3d4-0000-4000-8000-000000000002' }),
      row({ status: 'Delivered', id: 'a1b2c3d4-0000-4000-8000-000000000003' }),
      'not an object',
      null,
    ]),
  });
  const r = await traceSearch();
  assert.ok(
    r.rows.length + r.invalid === 8,
    `every item accounted for: ${r.rows.length} rows, ${r.invalid} invalid`,
  );
  assert.ok(r.invalid >= 5, `${r.invalid} invalid`);
  assert.ok(r.rows.some((x) => x.id === 'a1b2c3d4-0000-4000-8000-000000000001' && x.status === 'delivered'));
  for (const x of r.rows) assert.equal(typeof x.recipientAddress, 'string');
  const odd = r.rows.find((x) => x.id === 'a1b2c3d4-0000-4000-8000-000000000002');
  if (odd) assert.notEqual(odd.status, 'delivered', 'an unknown status is not turned into a known one');
});

test('a value that is not an array, and a huge page: no crash, bounded work', async () => {
  answer = () => ({ body: JSON.stringify({ value: { id: 'x' } }) });
  const r = await settle(traceSearch());
  assert.equal(r.ok, false, 'a non-array value is an error, not an empty page');
  const big = Array.from({ length: 20_000 }, (_, i) =>
    row({ id: `a1b2c3d4-0000-4000-8000-${String(i).padStart(12, '0')}` }),
  );
  answer = () => ({ body: page(big) });
  const huge = await traceSearch();
  assert.equal(huge.rows.length, 100, 'the limit holds even when Graph sends more than $top');
});

test('a nextLink to a foreign host is refused; a nextLink to itself does not loop forever', async () => {
  answer = () => ({ body: page([row()], { '@odata.nextLink': 'https://evil.example.com/v1.0/steal' }) });
  const foreign = await settle(traceSearch());
  assert.equal(foreign.ok, false, 'a foreign nextLink is not followed');
  if (!foreign.ok)
    assert.match(foreign.error.message, /nextLink|host|foreign|origin/i, foreign.error.message);

  served = 0;
  answer = (req) => ({ body: page([], { '@odata.nextLink': `${base}${req.url}` }) });
  const looping = await settle(
    (async () => {
      let n = 0;
      for await (const _ of pages(client.send, { method: 'GET', url: '/users?$top=1' })) if (++n > 500) break;
      return n;
    })(),
  );
  assert.equal(looping.ok, false, 'a self-referencing nextLink is an error');
  if (!looping.ok) assert.match(looping.error.message, /already followed/);
  assert.ok(served <= 3, `bounded requests (${served})`);
});

test('a mailbox search answered with garbage: the mailbox is not searched, with a reason; never found', async () => {
  const bodies = [
    () => '{"responses":[{"id":"0","status":200,"body":{"value":"nope"}}]}',
    () => 'not json',
    () => '{"responses":"x"}',
  ];
  for (const body of bodies) {
    answer = () => ({ body: body() });
    const result = await searchMailboxes(
      client.send,
      [{ id: '00000000-0000-4000-8000-000000000001', address: 'a@contoso.com' }],
      ['<x@fabrikam.com>'],
      { policy: { maxAttempts: 2, baseDelayMs: 1, maxBackoffMs: 2, maxRetryAfterMs: 10 } },
    );
    assert.deepEqual(outcomeProblems(result.mailboxes), []);
    assert.equal(result.mailboxes.length, 1);
    const m = result.mailboxes[0]!;
    assert.notEqual(m.outcome, 'found', 'nothing is found that Graph did not say');
    assert.notEqual(m.outcome, 'notFound', 'garbage is not "searched, not there"');
    assert.ok(m.reason && m.detail, 'not searched, with a reason and a detail');
  }
});
