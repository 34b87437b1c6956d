import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore, type Store, StoreError } from '../../src/store/index.ts';
import type { LeaseClaim } from '../../src/store/leases.ts';

const TTL = 60_000;

function claim(holder: string, pid = 100): LeaseClaim {
  return { scope: 'collector:t1', holder, host: 'host-a', pid, ttlMs: TTL };
}

function acquired(store: Store, c: LeaseClaim, now: number) {
  const attempt = store.acquireLease(c, { now });
  assert.ok(attempt.acquired, `expected ${c.holder} to get the lease`);
  return attempt.lease;
}

const isFenced = (e: unknown) => e instanceof StoreError && e.code === 'fenced';

describe('leases', () => {
  it('one holder at a time: a second claimant is told who holds it, until the lease expires', () => {
    const store = openStore(':memory:');
    const a = acquired(store, claim('a'), 1000);
    assert.equal(a.epoch, 1);
    const refused = store.acquireLease(claim('b', 200), { now: 1000 + TTL - 1 });
    assert.equal(refused.acquired, false);
    assert.equal(!refused.acquired && refused.heldBy.pid, 100);
    const b = acquired(store, claim('b', 200), 1000 + TTL);
    assert.equal(b.epoch, 2, 'a takeover starts a new epoch');
    store.close();
  });

  it('renewal extends the lease; the same holder asking again keeps its epoch', () => {
    const store = openStore(':memory:');
    const a = acquired(store, claim('a'), 0);
    const renewed = store.renewLease(a, TTL, 50_000);
    assert.equal(renewed.expiresAt, 50_000 + TTL);
    assert.equal(store.acquireLease(claim('b'), { now: TTL + 1 }).acquired, false, 'renewed, so still held');
    assert.equal(acquired(store, claim('a'), TTL + 2).epoch, 1);
    store.close();
  });

  it('a holder known to be dead is taken over at once', () => {
    const store = openStore(':memory:');
    acquired(store, claim('a', 100), 0);
    const attempt = store.acquireLease(claim('b', 200), { now: 1, abandoned: (l) => l.pid === 100 });
    assert.ok(attempt.acquired);
    assert.equal(attempt.tookOverFrom?.holder, 'a');
    assert.equal(attempt.lease.epoch, 2);
    store.close();
  });

  it('release frees the lease at once and epochs never repeat', () => {
    const store = openStore(':memory:');
    const a = acquired(store, claim('a'), 0);
    assert.equal(store.releaseLease(a, 10), true);
    const b = acquired(store, claim('b'), 11);
    assert.equal(b.epoch, 2);
    assert.equal(store.releaseLease(a, 12), false, "a release of someone else's lease changes nothing");
    assert.equal(store.getLease('collector:t1')?.holder, 'b');
    store.close();
  });

  it('a stale holder is fenced: its checkpoint, transaction and renewal writes change nothing', () => {
    const store = openStore(':memory:');
    const a = acquired(store, claim('a'), 0);
    store.setCheckpoint('t1', 'state', { by: 'a' }, { fence: a });
    const b = acquired(store, claim('b'), TTL + 1); // a was paused past its expiry
    store.setCheckpoint('t1', 'state', { by: 'b' }, { fence: b });

    assert.throws(() => store.setCheckpoint('t1', 'state', { by: 'a again' }, { fence: a }), isFenced);
    assert.throws(
      () =>
        store.transaction(
          () => store.upsertTraceRows('t1', [], '2026-01-01T00:00:00.000Z'),
          { fence: a },
        ),
      isFenced,
    );
    assert.throws(() => store.renewLease(a, TTL, TTL + 2), (e: unknown) => isFenced(e) && /pid 100 on host-a/.test(String(e)));
    assert.deepEqual(store.getCheckpoint('t1', 'state'), { by: 'b' });
    store.close();
  });

  it('a checkpoint written under a later epoch is never overwritten from an earlier one', () => {
    const store = openStore(':memory:');
    const a = acquired(store, claim('a'), 0);
    const b = acquired(store, claim('b'), TTL + 1);
    store.setCheckpoint('t1', 'state', { by: 'b' }, { fence: b });
    // Forge a's lease back into place (as a buggy or rolled-back lease table would): the epoch still refuses it.
    assert.equal(store.releaseLease(b, TTL + 2), true);
    const back = acquired(store, { ...claim('a'), holder: a.holder }, TTL + 3);
    assert.ok(back.epoch > a.epoch, 'even a returning holder gets a new epoch after someone else held it');
    assert.throws(() => store.setCheckpoint('t1', 'state', { by: 'a' }, { fence: a }), isFenced);
    assert.deepEqual(store.getCheckpoint('t1', 'state'), { by: 'b' });
    store.close();
  });

  it('two connections to one file see the same lease (two processes)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mailtrace-lease-')), 'store.sqlite');
    const first = openStore(path);
    const second = openStore(path);
    acquired(first, claim('a'), 0);
    const refused = second.acquireLease(claim('b', 200), { now: 5 });
    assert.equal(refused.acquired, false);
    first.close();
    second.close();
  });

  it('refuses a claim it cannot keep, with what to fix', () => {
    const store = openStore(':memory:');
    assert.throws(
      () => store.acquireLease({ ...claim('a'), ttlMs: 10 }, { now: 0 }),
      (e: unknown) => e instanceof StoreError && e.code === 'invalid' && /at least 1000/.test(e.message),
    );
    store.close();
  });
});
