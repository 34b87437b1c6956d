import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGraphClient } from '../../src/graph/client.ts';
import { ThrottleGate, throttleKeyOf } from '../../src/graph/throttle-gate.ts';
import type { Logger } from '../../src/graph/types.ts';
import { VirtualClock } from '../support/virtual-clock.ts';
import { startServer } from './helpers.ts';

/** Counts the requests the gate parks, per endpoint class; `parked(key, n)` resolves once n have been. */
function parkingLog(): { logger: Logger; parked(key: string, count: number): Promise<void> } {
  const counts = new Map<string, number>();
  let changed: () => void = () => {};
  const note = (event: string, fields?: Record<string, unknown>) => {
    if (event !== 'graph.throttle.waiting') return;
    const key = String(fields?.key);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    changed();
  };
  return {
    logger: { debug: note, info: note, warn: note },
    async parked(key, count) {
      while ((counts.get(key) ?? 0) < count) await new Promise<void>((resolve) => (changed = resolve));
    },
  };
}

test('throttleKeyOf groups requests by endpoint class, and mailboxes by mailbox', () => {
  assert.equal(throttleKeyOf({ url: '/$batch' }), '$batch');
  assert.equal(throttleKeyOf({ url: 'https://graph.microsoft.com/v1.0/%24batch' }), '$batch');
  assert.equal(throttleKeyOf({ url: '/users?$top=999' }), 'users');
  assert.equal(throttleKeyOf({ url: "/users('a@b.com')" }), 'users');
  assert.equal(
    throttleKeyOf({ url: '/admin/exchange/tracing/messageTraces?$filter=x' }),
    'admin/exchange/tracing',
  );
  assert.equal(throttleKeyOf({ url: '/users/Adele@contoso.com/messages' }), 'mailbox:adele@contoso.com');
  assert.equal(throttleKeyOf({ url: '/users', mailbox: 'X' }), 'mailbox:x');
});

test('a Retry-After on one $batch POST holds the others until it has passed, then releases them together', async () => {
  const arrivals: { url: string; at: number }[] = [];
  const clock = new VirtualClock();
  const parking = parkingLog();
  let throttledOnce = false;
  let secondBatch!: () => void;
  const secondBatchArrived = new Promise<void>((resolve) => (secondBatch = resolve));
  const server = await startServer((req, res) => {
    arrivals.push({ url: req.url, at: clock.now() });
    if (arrivals.filter((a) => a.url.endsWith('/$batch')).length === 2) secondBatch();
    if (req.url.endsWith('/$batch') && !throttledOnce) {
      throttledOnce = true;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '10' });
      res.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'slow down' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"responses":[],"value":[]}');
  });
  const client = createGraphClient({
    tenantId: 't',
    clientId: 'c',
    credential: { clientSecret: 's' },
    graphEndpoint: server.url,
    clock,
    env: {},
    logger: parking.logger,
  });
  // No Entra here: a fixed token stands in, the gate is what is under test.
  client.tokens.getToken = async () => ({ token: 'x', expiresOn: clock.now() + 3_600_000, roles: [] });
  try {
    const post = () =>
      client.send({ method: 'POST', url: '/$batch', body: { requests: [] }, idempotent: true });
    const first = post();
    // The 429 is in and its retry waits for the Retry-After (10 s of virtual time): now other requests come.
    await clock.sleeping();
    const throttledAt = arrivals[0]!.at;
    const users = await client.send({ method: 'GET', url: '/users' });
    assert.equal(clock.now(), throttledAt, 'another endpoint class went ahead while $batch was held');
    assert.equal(users.status, 200);
    const others = [post(), post()];
    // The first POST's retry sleeps out its Retry-After; the two new ones are parked at the gate: only then
    // does time move.
    // (A gate that let them through would show as a second $batch at the server instead.)
    await Promise.race([parking.parked('$batch', 2), secondBatchArrived]);
    assert.equal(arrivals.filter((a) => a.url.endsWith('/$batch')).length, 1, 'the other $batch POSTs wait');
    clock.advance(10_000);
    await Promise.all([first, ...others]);
    const batches = arrivals.filter((a) => a.url.endsWith('/$batch'));
    assert.equal(batches.length, 4, 'the throttled POST once, its retry, and two others');
    for (const later of batches.slice(1))
      assert.ok(later.at >= throttledAt + 10_000, 'no $batch before Retry-After');
  } finally {
    await client.close();
    await server.close();
  }
});

test('a held request can be aborted, and another endpoint class is not held', async () => {
  const clock = new VirtualClock();
  const gate = new ThrottleGate({ clock });
  gate.hold('$batch', 60_000);
  const controller = new AbortController();
  const waiting = gate.wait('$batch', controller.signal);
  const started = clock.now();
  await gate.wait('users');
  assert.equal(clock.now(), started, 'users went ahead without waiting');
  await clock.sleeping();
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  gate.close();
});

test('a hold longer than the maximum wait fails at once with a 429 carrying the remaining wait', async () => {
  const gate = new ThrottleGate({ clock: new VirtualClock(), maxWaitMs: 1000 });
  gate.hold('users', 600_000);
  await assert.rejects(gate.wait('users'), (e: { status: number; retryAfterMs: number }) => {
    assert.equal(e.status, 429);
    assert.ok(e.retryAfterMs > 1000);
    return true;
  });
  gate.close();
});
