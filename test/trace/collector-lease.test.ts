// Two collectors of one tenant on one store, in one process (each its own store connection and "pid"): the
// lease lets one work at a time, and a holder that lost its lease while stuck on a slow sink changes nothing.
// Stepped time throughout; a sink that waits on a gate the test opens decides every interleaving.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { ResumingNdjsonSink } from '../../src/sinks/ndjson-resume.ts';
import type { Sink, SinkAck, SinkEvent, WriteOptions } from '../../src/sinks/types.ts';
import { openStore, type Store, StoreError } from '../../src/store/index.ts';
import { Collector } from '../../src/trace/collector.ts';
import { readOutbox } from '../../src/trace/outbox.ts';
import { DEFAULT_LEASE_TTL_MS, type ProcessIdentity, TenantLease } from '../../src/trace/tenant-lease.ts';
import {
  ANCHOR,
  expectedRows,
  finalEventIds,
  type Harness,
  MemorySink,
  ndjsonEventIds,
  startHarness,
  storedRows,
} from './collector-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SINCE = Date.parse(ANCHOR) - 12 * HOUR;

let h: Harness | undefined;
const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) store.close();
  await h?.close();
  h = undefined;
});

function identity(pid: number): ProcessIdentity {
  return { host: 'test-host', pid, isAlive: () => true };
}

/** Passes writes to `inner`, except that the first one waits until the test opens the gate. */
class GatedSink implements Sink {
  readonly name: string;
  readonly reached: Promise<void>;
  #arrived!: () => void;
  #open!: () => void;
  readonly #gate = new Promise<void>((resolve) => {
    this.#open = resolve;
  });

  #first = true;
  readonly inner: Sink;

  constructor(inner: Sink) {
    this.inner = inner;
    this.name = inner.name;
    this.reached = new Promise((resolve) => {
      this.#arrived = resolve;
    });
  }

  open(): void {
    this.#open();
  }

  async write(batch: readonly SinkEvent[], options?: WriteOptions): Promise<SinkAck> {
    if (this.#first) {
      this.#first = false;
      this.#arrived();
      await this.#gate;
    }
    return this.inner.write(batch, options);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  healthcheck(): ReturnType<Sink['healthcheck']> {
    return this.inner.healthcheck();
  }
}

function collectorOn(harness: Harness, store: Store, sinks: Sink[], pid: number): Collector {
  return new Collector({
    store,
    sinks,
    tenants: [harness.collectorTenant()],
    clock: harness.clock,
    since: SINCE,
    reconcileIntervalMs: 0,
    pageSize: 50,
    maxWindowMs: 4 * HOUR,
    recordRuns: false,
    lease: { identity: identity(pid), heartbeatMs: 0 },
  });
}

function secondConnection(harness: Harness): Store {
  const store = openStore(harness.storePath, { now: () => harness.clock.now() });
  opened.push(store);
  return store;
}

test('a second collector finds the tenant held, says by whom, and writes nothing', async () => {
  h = await startHarness({ seed: 61, perUserPerDay: 20 });
  const shared = new MemorySink('siem');
  const gated = new GatedSink(shared);
  const a = collectorOn(h, h.store, [gated], 1001);
  const b = collectorOn(h, secondConnection(h), [shared], 1002);

  const first = a.runOnce();
  await gated.reached;
  const outboxBefore = h.store.getCheckpointRecord(h.tenant.tenantId, 'collector.outbox');
  const held = (await b.runOnce()).tenants[0]!;
  assert.equal(held.ok, false);
  assert.deepEqual(
    { host: held.heldBy?.host, pid: held.heldBy?.pid },
    { host: 'test-host', pid: 1001 },
  );
  assert.match(held.error ?? '', /another collector holds this tenant \(pid 1001 on test-host/);
  assert.equal(held.requests, 0, 'it did not read Graph');
  assert.deepEqual(
    h.store.getCheckpointRecord(h.tenant.tenantId, 'collector.outbox'),
    outboxBefore,
    "it did not touch the holder's outbox",
  );

  gated.open();
  const done = (await first).tenants[0]!;
  assert.equal(done.ok, true, done.error);
  // Released at the end of the cycle: the other one may go now.
  const after = (await b.runOnce()).tenants[0]!;
  assert.equal(after.ok, true, after.error);
});

test('a holder stuck past its lease is fenced: the new holder delivers, the old one changes nothing', async () => {
  h = await startHarness({ seed: 62, perUserPerDay: 20 });
  const ndjsonPath = join(h.dir, 'events.ndjson');
  const shared = new MemorySink('siem');
  const gated = new GatedSink(shared);
  // Frozen with its first page stored and on its way to both sinks (as a SIGSTOP or a stalled disk would).
  const stuckNdjson = new GatedSink(new ResumingNdjsonSink({ path: ndjsonPath }));
  const a = collectorOn(h, h.store, [stuckNdjson, gated], 1001);
  const first = a.runOnce();
  await Promise.all([gated.reached, stuckNdjson.reached]);

  // The stuck holder does not renew; once its lease has expired another collector takes the tenant over.
  await h.clock.sleep(DEFAULT_LEASE_TTL_MS + 1);
  const storeB = secondConnection(h);
  const ndjsonB = new ResumingNdjsonSink({ path: ndjsonPath });
  const b = collectorOn(h, storeB, [ndjsonB, shared], 1002);
  const taken = (await b.runOnce()).tenants[0]!;
  assert.equal(taken.ok, true, taken.error);
  const stateAfterB = storeB.getCheckpointRecord(h.tenant.tenantId, 'collector');
  const outboxAfterB = storeB.getCheckpointRecord(h.tenant.tenantId, 'collector.outbox');

  gated.open();
  stuckNdjson.open();
  const stale = (await first).tenants[0]!;
  assert.equal(stale.ok, false);
  assert.match(stale.error ?? '', /no longer this process's.*pid 1002 on test-host/);
  assert.deepEqual(storeB.getCheckpointRecord(h.tenant.tenantId, 'collector'), stateAfterB);
  assert.deepEqual(storeB.getCheckpointRecord(h.tenant.tenantId, 'collector.outbox'), outboxAfterB);
  assert.deepEqual(readOutbox(storeB, h.tenant.tenantId), []);
  await stuckNdjson.close();

  // The truth, once b has run again over the same time.
  await h.clock.sleep(10 * MINUTE);
  const last = (await b.runOnce()).tenants[0]!;
  assert.equal(last.ok, true, last.error);
  await ndjsonB.close();
  const now = h.clock.now();
  const fastUntil = Date.parse(last.fastUntil!);
  assert.deepEqual(storedRows(storeB, h.tenant.tenantId), expectedRows(h.tenant, SINCE, fastUntil, now));
  const ids = ndjsonEventIds(ndjsonPath);
  assert.equal(new Set(ids).size, ids.length, 'NDJSON holds no event twice');
  const stats = storeB.stats(h.tenant.tenantId);
  assert.equal(ids.length, stats.rows + stats.statusChanges, 'and every stored (row, status) once');
  for (const id of finalEventIds(h.tenant, SINCE, fastUntil, now))
    assert.ok(shared.events.has(id), `the SIEM holds ${id}`);
});

test('a lease renewal that finds another holder aborts the lost signal and refuses the fence', () => {
  const store = openStore(':memory:');
  let now = 0;
  const clock = { now: () => now, sleep: async () => {} };
  const mine = new TenantLease({ store, tenantId: 't1', clock, heartbeatMs: 0, identity: identity(1) });
  const theirs = new TenantLease({ store, tenantId: 't1', clock, heartbeatMs: 0, identity: identity(2) });
  assert.equal(mine.acquire().acquired, true);
  assert.equal(theirs.acquire().acquired, false);
  now = DEFAULT_LEASE_TTL_MS;
  assert.equal(theirs.acquire().acquired, true);
  const fenced = (e: unknown) => e instanceof StoreError && e.code === 'fenced';
  assert.throws(() => mine.renew(), fenced);
  assert.equal(mine.lost.aborted, true);
  assert.throws(() => mine.fence, fenced);
  mine.release(); // nothing to release: theirs keeps it
  assert.equal(store.getLease('collector:t1')?.pid, 2);
  theirs.release();
  store.close();
});

test('a lease whose holder died on this host is taken over without waiting for it to expire', () => {
  const store = openStore(':memory:');
  const clock = { now: () => 0, sleep: async () => {} };
  const dead = new TenantLease({ store, tenantId: 't1', clock, heartbeatMs: 0, identity: identity(7) });
  assert.equal(dead.acquire().acquired, true);
  const elsewhere = { host: 'other-host', pid: 8, isAlive: () => false };
  const remote = new TenantLease({ store, tenantId: 't1', clock, heartbeatMs: 0, identity: elsewhere });
  assert.equal(remote.acquire().acquired, false, 'another host cannot tell whether pid 7 lives: it waits');
  const local = { host: 'test-host', pid: 9, isAlive: (pid: number) => pid !== 7 };
  const next = new TenantLease({ store, tenantId: 't1', clock, heartbeatMs: 0, identity: local });
  const attempt = next.acquire();
  assert.ok(attempt.acquired);
  assert.equal(attempt.lease.epoch, 2);
  store.close();
});
