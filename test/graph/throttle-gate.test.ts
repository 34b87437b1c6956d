import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGraphClient } from '../../src/graph/client.ts';
import { sleep } from '../../src/graph/clock.ts';
import { ThrottleGate, throttleKeyOf } from '../../src/graph/throttle-gate.ts';
import type { Clock } from '../../src/graph/types.ts';
import { startServer } from './helpers.ts';

/** Real time, scaled: 1 simulated second passes in 10 real ms. */
function scaledClock(scale = 100): Clock {
  const start = Date.now();
  const base = performance.now();
  return {
    now: () => start + Math.floor((performance.now() - base) * scale),
    sleep: (ms, signal) => sleep(ms / scale, signal),
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
  const clock = scaledClock();
  let throttledOnce = false;
  const server = await startServer((req, res) => {
    arrivals.push({ url: req.url, at: clock.now() });
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
  });
  // No Entra here: a fixed token stands in, the gate is what is under test.
  client.tokens.getToken = async () => ({ token: 'x', expiresOn: clock.now() + 3_600_000, roles: [] });
  try {
    const post = () =>
      client.send({ method: 'POST', url: '/$batch', body: { requests: [] }, idempotent: true });
    const first = post();
    // The 429 is in and its retry waits 10 simulated seconds (100 real ms): now other requests come along.
    while (arrivals.length === 0) await sleep(1);
    await sleep(3);
    const throttledAt = arrivals[0]!.at;
    const users = await client.send({ method: 'GET', url: '/users' });
    assert.ok(clock.now() < throttledAt + 10_000, 'another endpoint class went ahead while $batch was held');
    assert.equal(users.status, 200);
    await Promise.all([first, post(), post()]);
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
  const clock = scaledClock();
  const gate = new ThrottleGate({ clock });
  gate.hold('$batch', 60_000);
  const controller = new AbortController();
  const waiting = gate.wait('$batch', controller.signal);
  const started = clock.now();
  await gate.wait('users');
  assert.ok(clock.now() - started < 60_000, 'users went ahead');
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  gate.close();
});

test('a hold longer than the maximum wait fails at once with a 429 carrying the remaining wait', async () => {
  const gate = new ThrottleGate({ clock: scaledClock(), maxWaitMs: 1000 });
  gate.hold('users', 600_000);
  await assert.rejects(gate.wait('users'), (e: { status: number; retryAfterMs: number }) => {
    assert.equal(e.status, 429);
    assert.ok(e.retryAfterMs > 1000);
    return true;
  });
  gate.close();
});
