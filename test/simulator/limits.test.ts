import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ControllableClock } from '../../src/simulator/clock.ts';
import { ConcurrencyGauge, RollingWindow, secondsUntil, ThrottleLedger } from '../../src/simulator/limits.ts';
import { ANCHOR, CLIENT_ID, startTestSimulator, TENANT_ID, tinyTenant, USER_ID } from './core-fixtures.ts';

type GraphErrorBody = { error: { code: string; message: string } };

describe('limit primitives', () => {
  it('RollingWindow admits `limit` hits per window and says when the oldest leaves', () => {
    const window = new RollingWindow(2, 1000);
    assert.deepEqual(window.tryTake('k', 0), { ok: true });
    assert.deepEqual(window.tryTake('k', 400), { ok: true });
    assert.deepEqual(window.tryTake('k', 500), { ok: false, retryAtMs: 1000 });
    assert.deepEqual(window.tryTake('other', 500), { ok: true });
    assert.deepEqual(window.tryTake('k', 1000), { ok: true });
    assert.equal(window.used('k', 1000), 2);
    assert.equal(window.used('k', 2500), 0);
  });

  it('ConcurrencyGauge and ThrottleLedger track per key', () => {
    const gauge = new ConcurrencyGauge();
    assert.equal(gauge.tryEnter('m', 2), 1);
    assert.equal(gauge.tryEnter('m', 2), 2);
    assert.equal(gauge.tryEnter('m', 2), undefined);
    gauge.leave('m');
    assert.equal(gauge.current('m'), 1);
    const ledger = new ThrottleLedger();
    const at = (
      nowMs: number,
      arrival: number,
      extra: { clientRequestId?: string; origin?: string } = {},
    ) => ({
      nowMs,
      arrival,
      ...extra,
    });
    ledger.record('k', 0, 5000);
    assert.deepEqual(
      ledger.check('k', at(10, 11)),
      { throttledMs: 4990, ignored: false },
      'throttled, but the 429 is not written yet: nobody could know',
    );
    ledger.arm('k', 10);
    ledger.record('k', 100, 3000); // never shortens, keeps the start of the period
    assert.deepEqual(ledger.check('k', at(1000, 11)), { throttledMs: 4000, ignored: true }, 'sent after');
    assert.deepEqual(ledger.check('k', at(1000, 10)), { throttledMs: 4000, ignored: false }, 'on its way');
    assert.deepEqual(ledger.check('k', at(5000, 20)), { throttledMs: 0, ignored: false }, 'over');
    ledger.record('b', 0, 5000, { origin: 'batch-1' });
    ledger.arm('b', 10);
    assert.equal(
      ledger.check('b', at(1000, 11, { origin: 'batch-1' })).throttledMs,
      0,
      'same batch goes ahead',
    );
    assert.deepEqual(ledger.check('b', at(1000, 11, { origin: 'batch-2' })), {
      throttledMs: 4000,
      ignored: true,
    });
    assert.equal(secondsUntil(5001, 1000), 5);
  });
});

describe('Outlook mailbox limits', () => {
  it('answers the 5th concurrent request to one mailbox 429 MailboxConcurrency, whatever name it uses', async () => {
    const t = await startTestSimulator({ latency: { messages: { minMs: 300, maxMs: 300 } } });
    try {
      await t.token();
      const refs = [
        USER_ID,
        'adele@contoso.com',
        'ADELE@contoso.com',
        'adele.vance@contoso.com',
        USER_ID,
        USER_ID,
      ];
      const responses = await Promise.all(refs.map((ref) => t.request(`/v1.0/users/${ref}/messages`)));
      const other = await t.request('/v1.0/users/someone-else@contoso.com/messages');
      assert.equal(other.status, 200, 'another mailbox is not affected');
      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
      for (const res of responses.filter((r) => r.status === 429)) {
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
        const body = (await res.json()) as GraphErrorBody;
        assert.equal(body.error.code, 'ApplicationThrottled');
        assert.equal(body.error.message, 'Application is over its MailboxConcurrency limit.');
      }
      assert.equal(t.sim.stats.violations.mailboxConcurrency, 2);
      assert.equal(t.sim.stats.violations.retryAfterIgnored, 0, 'a burst is not an early retry');
      assert.equal(t.sim.stats.peakMailboxConcurrency, 4);
      assert.equal(t.sim.stats.byMailbox[USER_ID], 6);
    } finally {
      await t.close();
    }
  });

  it('limits requests per rolling window per mailbox (small configured limit) and catches early retries', async () => {
    const clock = new ControllableClock(ANCHOR, 0);
    const t = await startTestSimulator({
      clock,
      limits: { mailboxRequestsPerWindow: 3, mailboxWindowMs: 60_000 },
    });
    try {
      const path = `/v1.0/users/${USER_ID}/mailFolders/inbox`;
      for (let i = 0; i < 3; i++) assert.equal((await t.request(path)).status, 200);
      const limited = await t.request(path);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '60');
      assert.match(((await limited.json()) as GraphErrorBody).error.message, /MailboxRequests limit/);
      assert.equal(t.sim.stats.violations.mailboxRate, 1);

      clock.advance(30_000);
      const early = await t.request(path);
      assert.equal(early.status, 429);
      assert.equal(early.headers.get('retry-after'), '30');
      assert.equal(t.sim.stats.violations.retryAfterIgnored, 1);

      clock.advance(30_000);
      assert.equal((await t.request(path)).status, 200);
      assert.equal(t.sim.stats.totalViolations(), 2);
    } finally {
      await t.close();
    }
  });
});

describe('message trace quota', () => {
  it('allows N per rolling window per tenant across apps, then 429 with Retry-After until a slot frees', async () => {
    const clock = new ControllableClock(ANCHOR, 0);
    const tenant = tinyTenant();
    const secondApp = { ...tenant.apps[0]!, clientId: randomUUID(), secrets: [], certificates: [] };
    tenant.apps.push(secondApp);
    const t = await startTestSimulator({
      clock,
      tenants: [tenant],
      limits: { traceRequestsPerWindow: 3, traceWindowMs: 300_000 },
    });
    try {
      const path = '/v1.0/admin/exchange/tracing/messageTraces';
      const first = t.sim.mintAccessToken(TENANT_ID, CLIENT_ID);
      const second = t.sim.mintAccessToken(TENANT_ID, secondApp.clientId);
      assert.equal((await t.request(path, { token: first })).status, 200);
      clock.advance(10_000);
      assert.equal((await t.request(path, { token: second })).status, 200);
      clock.advance(10_000);
      assert.equal((await t.request(path, { token: first })).status, 200);
      clock.advance(10_000);
      const limited = await t.request(path, { token: second });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '270');
      assert.equal(((await limited.json()) as GraphErrorBody).error.code, 'TooManyRequests');
      assert.equal(t.sim.stats.violations.traceQuota, 1);

      clock.advance(270_000);
      assert.equal((await t.request(path, { token: first })).status, 200);
      assert.equal(t.sim.stats.violations.retryAfterIgnored, 0);
    } finally {
      await t.close();
    }
  });
});

describe('Retry-After discipline', () => {
  it('records every injected 429 and counts a retry before it elapses as retryAfterIgnored', async () => {
    const clock = new ControllableClock(ANCHOR, 0);
    const t = await startTestSimulator({ clock, faults: { seed: 9, throttle429: 1 } });
    try {
      const path = `/v1.0/users/${USER_ID}/messages`;
      const faulted = await t.request(path);
      assert.equal(faulted.status, 429);
      const retryAfter = Number(faulted.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 3);
      t.sim.setFaults({ seed: 9 });
      assert.equal(t.sim.stats.faults.throttle429, 1);

      const early = await t.request(path);
      assert.equal(early.status, 429);
      assert.equal(t.sim.stats.violations.retryAfterIgnored, 1);
      assert.equal(t.sim.stats.faults.throttle429, 1, 'a violation is not an injected fault');

      // other mailboxes are not throttled by it
      assert.equal((await t.request('/v1.0/users/other@contoso.com/messages')).status, 200);
      clock.advance(retryAfter * 1000);
      assert.equal((await t.request(path)).status, 200);
      assert.equal(t.sim.stats.violations.retryAfterIgnored, 1);
    } finally {
      await t.close();
    }
  });
});
