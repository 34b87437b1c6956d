import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemoryQuotaLedger, isMessageTraceUrl, quotaPlugin } from '../../src/graph/quota.ts';
import type { Clock, GraphRequest, QuotaPolicy, Send } from '../../src/graph/types.ts';
import { MESSAGE_TRACE_QUOTA } from '../../src/graph/types.ts';

const T = 'tenant-1';

test('low priority is refused once used >= limit - reserve.low; high still gets through', () => {
  const ledger = new InMemoryQuotaLedger();
  const t0 = 1_000_000;
  for (let i = 0; i < 70; i++)
    assert.deepEqual(ledger.tryTake(T, 'messageTrace', 'low', t0 + i), { granted: true });
  const refusedLow = ledger.tryTake(T, 'messageTrace', 'low', t0 + 100);
  assert.equal(refusedLow.granted, false);
  // The first use leaves the window at t0 + 300 000, which brings 'low' back under its cap.
  assert.deepEqual(refusedLow, { granted: false, retryAtMs: t0 + MESSAGE_TRACE_QUOTA.windowMs });
  for (let i = 0; i < 20; i++)
    assert.equal(ledger.tryTake(T, 'messageTrace', 'normal', t0 + 200).granted, true);
  assert.equal(ledger.tryTake(T, 'messageTrace', 'normal', t0 + 201).granted, false);
  for (let i = 0; i < 10; i++)
    assert.equal(ledger.tryTake(T, 'messageTrace', 'high', t0 + 300).granted, true);
  const refusedHigh = ledger.tryTake(T, 'messageTrace', 'high', t0 + 301);
  assert.deepEqual(refusedHigh, { granted: false, retryAtMs: t0 + MESSAGE_TRACE_QUOTA.windowMs });
  assert.equal(ledger.used(T, 'messageTrace', t0 + 400), 100);
  assert.equal(ledger.used('other-tenant', 'messageTrace', t0 + 400), 0, 'tenants have separate budgets');
});

test('the rolling window frees slots as old uses age out', () => {
  const policy: QuotaPolicy = { limit: 3, windowMs: 1000, reserve: { high: 0, normal: 0, low: 1 } };
  const ledger = new InMemoryQuotaLedger(policy);
  assert.equal(ledger.tryTake(T, 'messageTrace', 'high', 0).granted, true);
  assert.equal(ledger.tryTake(T, 'messageTrace', 'high', 400).granted, true);
  assert.equal(ledger.tryTake(T, 'messageTrace', 'high', 800).granted, true);
  assert.deepEqual(ledger.tryTake(T, 'messageTrace', 'high', 900), { granted: false, retryAtMs: 1000 });
  // low needs used < 2: two uses must age out, the second one at 1400.
  assert.deepEqual(ledger.tryTake(T, 'messageTrace', 'low', 900), { granted: false, retryAtMs: 1400 });
  assert.equal(ledger.used(T, 'messageTrace', 999), 3);
  assert.equal(ledger.used(T, 'messageTrace', 1000), 2);
  assert.equal(ledger.tryTake(T, 'messageTrace', 'low', 1000).granted, false);
  assert.equal(ledger.tryTake(T, 'messageTrace', 'low', 1400).granted, true);
  assert.equal(ledger.used(T, 'messageTrace', 1400), 2);
});

test('isMessageTraceUrl matches relative, versioned and absolute forms only', () => {
  assert.ok(isMessageTraceUrl('/admin/exchange/tracing/messageTraces?$top=10'));
  assert.ok(isMessageTraceUrl('/beta/admin/exchange/tracing/messageTraces'));
  assert.ok(
    isMessageTraceUrl('https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces?$skiptoken=x'),
  );
  assert.ok(!isMessageTraceUrl('/users/x/messages'));
  assert.ok(!isMessageTraceUrl('/admin/exchange/tracingfoo'));
});

/** A clock that only moves when something sleeps on it, so waits are exact and instant. */
function steppingClock(start: number): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      slept.push(ms);
      now += ms;
    },
  };
}

function countingSend(): { send: Send; urls: string[] } {
  const urls: string[] = [];
  const send = (async (request: GraphRequest) => {
    urls.push(request.url);
    return { status: 200, headers: new Headers(), body: {}, requestId: undefined, clientRequestId: 'c' };
  }) as Send;
  return { send, urls };
}

test('quotaPlugin waits for a slot, charges message-trace URLs and explicit claims, ignores the rest', async () => {
  const policy: QuotaPolicy = { limit: 2, windowMs: 10_000, reserve: { high: 0, normal: 0, low: 1 } };
  const ledger = new InMemoryQuotaLedger(policy);
  const clock = steppingClock(50_000);
  const inner = countingSend();
  const send = quotaPlugin({ ledger, tenantId: T, clock, policy })(inner.send);
  await send({ method: 'GET', url: '/admin/exchange/tracing/messageTraces' });
  await send({ method: 'GET', url: '/users/a/messages' });
  assert.equal(
    ledger.used(T, 'messageTrace', clock.now()),
    1,
    'mailbox reads do not draw on the trace budget',
  );
  await send({ method: 'GET', url: '/anything', quota: { bucket: 'messageTrace', priority: 'high' } });
  assert.deepEqual(clock.slept, []);
  await send({ method: 'GET', url: '/admin/exchange/tracing/messageTraces?page=3' });
  assert.deepEqual(clock.slept, [10_000], 'waited exactly until the oldest use left the window');
  assert.equal(inner.urls.length, 4);
});

test('quotaPlugin stops waiting when the request is aborted', async () => {
  const ledger = new InMemoryQuotaLedger({
    limit: 1,
    windowMs: 60_000,
    reserve: { high: 0, normal: 0, low: 0 },
  });
  const controller = new AbortController();
  const clock: Clock = {
    now: () => 0,
    sleep: (_ms, signal) =>
      new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
  };
  const inner = countingSend();
  const send = quotaPlugin({ ledger, tenantId: T, clock })(inner.send);
  await send({ method: 'GET', url: '/admin/exchange/tracing/messageTraces' });
  const waiting = send({
    method: 'GET',
    url: '/admin/exchange/tracing/messageTraces',
    signal: controller.signal,
  });
  controller.abort(new Error('cancelled'));
  await assert.rejects(waiting, /cancelled/);
  assert.equal(inner.urls.length, 1);
});
