// The trace scope: window planning (pure) and the real query against the simulator's message trace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planScope, traceBlocker } from '../../src/investigate/scope.ts';
import { toRecipient, traceRecipients, traceWindows } from '../../src/investigate/trace-scope.ts';
import { DAY_MS, HORIZON_MS, WindowError } from '../../src/trace/windows.ts';
import { type Fixture, startFixture } from './fixture.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('traceWindows', () => {
  it('covers the 90-day horizon newest first in 9 windows of at most 10 days', () => {
    const { windows, beyondHorizon } = traceWindows({ now: NOW, clockSkewMarginMs: 60_000 });
    assert.equal(windows.length, 9);
    assert.equal(beyondHorizon, false);
    for (const [i, w] of windows.entries()) {
      assert.ok(w.end - w.start < 10 * DAY_MS);
      if (i > 0) assert.equal(w.end + 1000, windows[i - 1]!.start, 'contiguous, no overlap');
    }
  });

  it('keeps the clock-skew margin off both ends', () => {
    const margin = 60_000;
    const { windows } = traceWindows({ now: NOW, clockSkewMarginMs: margin });
    assert.equal(windows[0]!.end, NOW - margin);
    assert.equal(windows.at(-1)!.start, NOW + margin - HORIZON_MS);
  });

  it('narrows to --since/--until, clips and flags a range older than the horizon, refuses an inverted one', () => {
    const narrow = traceWindows({ now: NOW, since: '2026-02-25T00:00:00Z', until: '2026-02-27T00:00:00Z' });
    assert.equal(narrow.windows.length, 1);
    const old = traceWindows({ now: NOW, since: '2025-10-01T00:00:00Z', clockSkewMarginMs: 60_000 });
    assert.equal(old.beyondHorizon, true);
    assert.equal(old.windows.length, 9);
    assert.throws(
      () => traceWindows({ now: NOW, since: '2026-02-27T00:00:00Z', until: '2026-02-25T00:00:00Z' }),
      WindowError,
    );
  });
});

describe('scope decisions', () => {
  const facts = {
    cloudName: 'global',
    cloudHasTrace: true,
    roles: ['ExchangeMessageTrace.Read.All'],
    since: undefined,
    now: NOW,
  };
  it('names what blocks trace', () => {
    assert.equal(traceBlocker(facts), undefined);
    assert.match(traceBlocker({ ...facts, cloudName: 'usgov', cloudHasTrace: false })!, /usgov cloud/);
    assert.match(
      traceBlocker({ ...facts, roles: ['Mail.ReadBasic.All'] })!,
      /ExchangeMessageTrace\.Read\.All/,
    );
    assert.match(traceBlocker({ ...facts, since: '2025-10-01T00:00:00Z' })!, /90 days/);
  });
  it('auto sweeps when blocked; --sweep adds a sweep to trace', () => {
    assert.deepEqual(planScope('auto', false, 'x'), { trace: false, sweep: true, reason: 'sweep: x' });
    assert.equal(planScope('auto', true, undefined).sweep, true);
    assert.equal(planScope('auto', true, undefined).trace, true);
    assert.equal(planScope('sweep', false, undefined).trace, false);
  });
});

describe('toRecipient', () => {
  it('keeps the recipient and status, normalising the beta casing, and drops rows of another id', () => {
    const row = {
      id: 't1',
      messageId: '<a@b>',
      recipientAddress: 'x@contoso.com',
      status: 'Delivered',
      senderAddress: 's@evil.example',
      subject: 'hi',
      receivedDateTime: '2026-02-01T00:00:00Z',
    };
    assert.equal(toRecipient(row, '<a@b>')?.status, 'delivered');
    assert.equal(toRecipient({ ...row, messageId: '<other@b>' }, '<a@b>'), undefined);
    assert.equal(toRecipient({ ...row, recipientAddress: '' }, '<a@b>'), undefined);
  });
});

describe('traceRecipients against the simulator', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ users: 120, seed: 3 });
  });
  after(() => fx.close());

  it('reads every recipient row of the campaign with 9 high-priority queries, within the quota', async () => {
    const tenant = fx.tenants[0]!;
    const id = tenant.campaign!.internetMessageId;
    const before = fx.sim.stats.byEndpoint.messageTraces ?? 0;
    const result = await traceRecipients(fx.clients[0]!.send, [id], {
      now: fx.sim.clock.nowMs(),
      clockSkewMarginMs: 60_000,
    });
    assert.equal(result.graphRequests, 9);
    assert.equal((fx.sim.stats.byEndpoint.messageTraces ?? 0) - before, 9);
    const expected = tenant.traces.filter((r) => r.messageId === id);
    assert.deepEqual(
      result.recipients.map((r) => r.address).sort(),
      expected.map((r) => r.recipientAddress).sort(),
    );
    assert.ok(result.recipients.some((r) => r.status === 'expanded'));
    assert.equal(fx.sim.stats.violations.traceQuota, 0);
  });
});
