import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep, systemClock } from '../../src/graph/clock.ts';

describe('systemClock', () => {
  it('sleeps for roughly the time asked', async () => {
    const started = systemClock.now();
    await systemClock.sleep(30);
    assert.ok(systemClock.now() - started >= 25);
  });
  it('stops sleeping as soon as the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('cancelled')), 20);
    await assert.rejects(sleep(10_000, controller.signal), /cancelled/);
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(sleep(10, AbortSignal.abort()), { name: 'AbortError' });
  });
});
