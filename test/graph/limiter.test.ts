import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  concurrencyPlugin,
  createConcurrencyLimiter,
  createMailboxLimiter,
  mailboxKeyOf,
  mailboxLimitPlugin,
} from '../../src/graph/limiter.ts';
import type { GraphRequest, GraphResponse, Send } from '../../src/graph/types.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('mailbox limiter grants 4 per key, queues the 5th FIFO, and keys are independent', async () => {
  const limiter = createMailboxLimiter();
  const releases = await Promise.all([1, 2, 3, 4].map(() => limiter.acquire('a')));
  assert.equal(limiter.inFlight('a'), 4);
  const order: string[] = [];
  const fifth = limiter.acquire('a').then((release) => {
    order.push('fifth');
    return release;
  });
  const sixth = limiter.acquire('a').then((release) => {
    order.push('sixth');
    return release;
  });
  const other = await limiter.acquire('b');
  assert.equal(limiter.inFlight('b'), 1);
  await tick();
  assert.deepEqual(order, []);
  assert.equal(limiter.tryAcquire?.('a'), undefined, 'tryAcquire must not barge past queued waiters');
  releases[0]!();
  releases[0]!(); // a second call is harmless
  await tick();
  assert.deepEqual(order, ['fifth']);
  assert.equal(limiter.inFlight('a'), 4);
  releases[1]!();
  await tick();
  assert.deepEqual(order, ['fifth', 'sixth']);
  for (const release of [...releases.slice(2), await fifth, await sixth, other]) release();
  assert.equal(limiter.inFlight('a'), 0);
  assert.equal(limiter.inFlight('b'), 0);
});

test('an aborted waiter leaves the queue without taking a permit', async () => {
  const limiter = createMailboxLimiter({ perMailbox: 1 });
  const held = await limiter.acquire('a');
  const controller = new AbortController();
  const waiting = limiter.acquire('a', controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  held();
  assert.equal(limiter.inFlight('a'), 0);
  const again = limiter.tryAcquire?.('a');
  assert.ok(again);
  again();
  await assert.rejects(limiter.acquire('a', AbortSignal.abort(new Error('already'))), /already/);
});

test('concurrency limiter caps across keys', async () => {
  const limiter = createConcurrencyLimiter(2);
  const a = await limiter.acquire('x');
  const b = await limiter.acquire('y');
  assert.equal(limiter.inFlight('anything'), 2);
  let third = false;
  const pending = limiter.acquire('z').then((release) => {
    third = true;
    return release;
  });
  await tick();
  assert.equal(third, false);
  a();
  (await pending)();
  assert.equal(third, true);
  b();
  assert.equal(limiter.inFlight(''), 0);
  assert.throws(() => createConcurrencyLimiter(0), RangeError);
});

test('mailboxKeyOf reads /users/{id|upn}/… in every URL form', () => {
  assert.equal(mailboxKeyOf('/users/Adele%40Contoso.com/messages?$top=1'), 'adele@contoso.com');
  assert.equal(mailboxKeyOf('users/ABC-1/mailFolders/inbox'), 'abc-1');
  assert.equal(mailboxKeyOf('/v1.0/users/x@y.com/messages'), 'x@y.com');
  assert.equal(mailboxKeyOf('https://graph.microsoft.com/beta/users/Z/messages?$skiptoken=1'), 'z');
  assert.equal(mailboxKeyOf('/users?$top=999'), undefined);
  assert.equal(mailboxKeyOf('/users/x'), undefined);
  assert.equal(mailboxKeyOf('/admin/exchange/tracing/messageTraces'), undefined);
  assert.equal(mailboxKeyOf('/users/bad%E0%A4%A/messages'), 'bad%e0%a4%a');
});

function recordingSend(): { send: Send; active: () => number; max: () => number; finish: () => void } {
  let active = 0;
  let max = 0;
  let waiters: (() => void)[] = [];
  const send = (async (request: GraphRequest) => {
    active++;
    max = Math.max(max, active);
    await new Promise<void>((resolve) => waiters.push(resolve));
    active--;
    return {
      status: 200,
      headers: new Headers(),
      body: request.url,
      requestId: undefined,
      clientRequestId: 'c',
    };
  }) as Send;
  return {
    send,
    active: () => active,
    max: () => max,
    finish: () => {
      const current = waiters;
      waiters = [];
      for (const resolve of current) resolve();
    },
  };
}

test('mailboxLimitPlugin holds 4 per mailbox; requests without a mailbox pass through', async () => {
  const limiter = createMailboxLimiter();
  const inner = recordingSend();
  const send = mailboxLimitPlugin(limiter)(inner.send);
  const calls: Promise<GraphResponse>[] = [];
  for (let i = 0; i < 6; i++) calls.push(send({ method: 'GET', url: `/users/A/messages?i=${i}` }));
  calls.push(send({ method: 'GET', url: '/users/b/messages', mailbox: 'A' })); // explicit key wins
  calls.push(send({ method: 'GET', url: '/users?$top=5' }));
  await tick();
  assert.equal(inner.active(), 5, '4 for mailbox a plus the directory read');
  assert.equal(limiter.inFlight('a'), 4);
  while (inner.active() > 0) {
    inner.finish();
    await tick();
    await tick();
  }
  const bodies = (await Promise.all(calls)).map((r) => r.body);
  assert.equal(bodies.length, 8);
  assert.equal(limiter.inFlight('a'), 0);
});

test('concurrencyPlugin caps the whole stack and releases on failure', async () => {
  const limiter = createConcurrencyLimiter(1);
  const failing = concurrencyPlugin(limiter)((async () => {
    throw new Error('boom');
  }) as Send);
  await assert.rejects(failing({ method: 'GET', url: '/x' }), /boom/);
  assert.equal(limiter.inFlight(''), 0);
  const inner = recordingSend();
  const send = concurrencyPlugin(limiter)(inner.send);
  const calls = [send({ method: 'GET', url: '/a' }), send({ method: 'GET', url: '/b' })];
  await tick();
  assert.equal(inner.active(), 1);
  inner.finish();
  await tick();
  await tick();
  inner.finish();
  await Promise.all(calls);
  assert.equal(inner.max(), 1);
});
