import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { NdjsonSink } from '../../src/sinks/ndjson.ts';
import { Collector } from '../../src/trace/collector.ts';
import { DEFAULT_LEASE_TTL_MS } from '../../src/trace/tenant-lease.ts';
import { readOutbox } from '../../src/trace/outbox.ts';
import {
  ANCHOR,
  expectedRows,
  type Harness,
  MemorySink,
  ndjsonEventIds,
  startHarness,
  storedRows,
} from './collector-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SINCE = Date.parse(ANCHOR) - 24 * HOUR;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function checkpoint(harness: Harness): { fastUntil: number | null } | undefined {
  return harness.store.getCheckpoint<{ fastUntil: number | null }>(harness.tenant.tenantId, 'collector');
}

test('a failing sink holds the checkpoint; the healthy sink is not handed duplicates', async () => {
  h = await startHarness({ seed: 31, perUserPerDay: 20 });
  const ndjsonPath = join(h.dir, 'events.ndjson');
  const ndjson = new NdjsonSink({ path: ndjsonPath });
  const siem = new MemorySink('siem', 2);
  const options = {
    store: h.store,
    sinks: [ndjson, siem],
    tenants: [h.collectorTenant()],
    clock: h.clock,
    since: SINCE,
    reconcileIntervalMs: 0,
    pageSize: 50,
    maxWindowMs: 6 * HOUR,
  };
  const collector = new Collector(options);

  const failed = (await collector.runOnce()).tenants[0]!;
  assert.equal(failed.ok, false);
  assert.match(failed.error ?? '', /siem: intake unavailable/);
  assert.equal(checkpoint(h), undefined, 'no window is checkpointed while a sink fails');
  const pending = readOutbox(h.store, h.tenant.tenantId);
  assert.ok(pending.length > 0, 'unacknowledged events wait in the outbox');
  assert.ok(
    pending.every((e) => e.sinks.length === 1 && e.sinks[0] === 'siem'),
    'only the failing sink owes them',
  );

  // Still failing: the same events are offered to the failing sink only.
  const again = (await collector.runOnce()).tenants[0]!;
  assert.equal(again.ok, false);
  assert.equal(checkpoint(h), undefined);

  await h.clock.sleep(10 * MINUTE);
  const recovered = (await collector.runOnce()).tenants[0]!;
  assert.equal(recovered.ok, true, recovered.error);
  for (let i = 0; i < 4; i++) {
    await h.clock.sleep(30 * MINUTE);
    const report = (await collector.runOnce()).tenants[0]!;
    assert.equal(report.ok, true, report.error);
  }
  assert.deepEqual(readOutbox(h.store, h.tenant.tenantId), []);
  const state = checkpoint(h)!;
  assert.ok(state.fastUntil !== null && state.fastUntil >= h.clock.now() - 6 * MINUTE);
  await ndjson.close();

  const ids = ndjsonEventIds(ndjsonPath);
  assert.equal(new Set(ids).size, ids.length, 'NDJSON got each event once although the other sink failed');
  const stats = h.store.stats(h.tenant.tenantId);
  assert.equal(ids.length, stats.rows + stats.statusChanges);
  assert.deepEqual(new Set(siem.events.keys()), new Set(ids), 'the failing sink caught up on everything');
});

test('a crash mid-way (store closed under the collector) loses nothing and duplicates nothing after restart', async () => {
  h = await startHarness({ seed: 47, perUserPerDay: 20 });
  const harness = h;
  const ndjsonPath = join(h.dir, 'events.ndjson');
  const idempotent = new MemorySink('siem');
  const settings = {
    tenants: [h.collectorTenant()],
    clock: h.clock,
    since: SINCE,
    reconcileIntervalMs: 0,
    pageSize: 50,
    maxWindowMs: 4 * HOUR,
  };
  // The sink receives the batch, then the process "dies" before the collector records the acknowledgement.
  let writes = 0;
  idempotent.beforeAck = () => {
    if (++writes === 4) harness.store.close();
  };
  const crashedNdjson = new NdjsonSink({ path: ndjsonPath });
  const crashing = new Collector({ ...settings, store: h.store, sinks: [crashedNdjson, idempotent] });
  const crashed = (await crashing.runOnce()).tenants[0]!;
  await crashedNdjson.close();
  assert.equal(crashed.ok, false);
  assert.match(crashed.error ?? '', /closed/);
  idempotent.beforeAck = undefined;

  // Restart: a new store connection, client, NDJSON sink and collector over the same files, once the lease the
  // "dead" collector left has expired (it lives in this very process, so it cannot be seen to be gone).
  await h.clock.sleep(DEFAULT_LEASE_TTL_MS);
  const store = h.reopenStore();
  const beforeRestart = checkpoint(h)?.fastUntil ?? null;
  assert.ok(readOutbox(store, h.tenant.tenantId).length > 0, 'the interrupted batch survived in the outbox');
  const ndjson = new NdjsonSink({ path: ndjsonPath });
  const restarted = new Collector({
    ...settings,
    tenants: [h.collectorTenant()],
    store,
    sinks: [ndjson, idempotent],
  });
  let report = (await restarted.runOnce()).tenants[0]!;
  assert.equal(report.ok, true, report.error);
  assert.ok((checkpoint(h)?.fastUntil ?? 0) > (beforeRestart ?? 0));
  for (let i = 0; i < 4; i++) {
    await h.clock.sleep(30 * MINUTE);
    report = (await restarted.runOnce()).tenants[0]!;
    assert.equal(report.ok, true, report.error);
  }
  await ndjson.close();

  const now = h.clock.now();
  const fastUntil = checkpoint(h)!.fastUntil!;
  assert.deepEqual(storedRows(store, h.tenant.tenantId), expectedRows(h.tenant, SINCE, fastUntil, now));
  const stats = store.stats(h.tenant.tenantId);
  const expectedEvents = stats.rows + stats.statusChanges;
  assert.equal(idempotent.events.size, expectedEvents, 'the idempotent sink holds every (row, status) once');
  const ids = ndjsonEventIds(ndjsonPath);
  assert.equal(new Set(ids).size, expectedEvents, 'no NDJSON line is missing');
  // The one batch in flight at the crash may be written again to the (non-idempotent) file, nothing else.
  assert.ok(
    ids.length - expectedEvents <= 50,
    `at most one page re-delivered (${ids.length - expectedEvents})`,
  );
});
