import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NdjsonSink } from '../../src/sinks/ndjson.ts';
import { Collector } from '../../src/trace/collector.ts';
import type { CollectorProgress } from '../../src/trace/tenant-collector.ts';
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
const SINCE = Date.parse(ANCHOR) - 36 * HOUR;

let h: Harness;
before(async () => {
  h = await startHarness({ seed: 11, perUserPerDay: 30 });
});
after(async () => {
  await h.close();
});

test('late rows and status changes arrive in later cycles; every row ends with its final status', async () => {
  const ndjsonPath = join(h.dir, 'events.ndjson');
  const ndjson = new NdjsonSink({ path: ndjsonPath });
  const memory = new MemorySink();
  const progress: CollectorProgress[] = [];
  const collector = new Collector({
    store: h.store,
    sinks: [ndjson, memory],
    tenants: [h.collectorTenant()],
    clock: h.clock,
    since: SINCE,
    reconcileIntervalMs: 0,
    pageSize: 40,
    maxPagesPerWindow: 5,
    maxWindowMs: 12 * HOUR,
    onProgress: (p) => progress.push(p),
  });

  const first = await collector.runOnce();
  const t1 = first.tenants[0]!;
  assert.equal(t1.ok, true, t1.error);
  assert.ok(t1.events.new > 0);
  assert.equal(t1.windows.fast, 3, 'a 36 h range in windows of 12 h');
  assert.ok(t1.splits > 0, 'windows of more than 5 pages of 40 rows are split');
  assert.equal(t1.fastUntil, new Date(Date.parse(ANCHOR) - 5 * MINUTE).toISOString());
  assert.ok(progress.some((p) => p.pass === 'fast' && p.windowIndex === 3 && p.windowCount === 3));

  // Rows near the anchor were still gettingStatus/pending; some rows were not visible yet.
  let statusChanged = 0;
  let lateNew = 0;
  for (let cycle = 0; cycle < 12; cycle++) {
    await h.clock.sleep(30 * MINUTE);
    const report = (await collector.runOnce()).tenants[0]!;
    assert.equal(report.ok, true, report.error);
    statusChanged += report.events.statusChanged;
    lateNew += report.events.new;
  }
  assert.ok(statusChanged > 0, 'status changes are emitted');
  assert.ok(lateNew > 0, 'rows seen later are emitted');
  const changedEvents = [...memory.events.values()].filter((e) => e.kind === 'statusChanged');
  assert.equal(changedEvents.length, statusChanged);
  assert.ok(
    changedEvents.every((e) => e.previousStatus === 'gettingStatus' || e.previousStatus === 'pending'),
  );

  await ndjson.close();
  const now = h.clock.now();
  const fastUntil = h.store.getCheckpoint<{ fastUntil: number }>(h.tenant.tenantId, 'collector')!.fastUntil;
  const expected = expectedRows(h.tenant, SINCE, fastUntil, now);
  assert.ok(expected.size > 500, `a meaningful tenant (${expected.size} rows)`);
  assert.deepEqual(storedRows(h.store, h.tenant.tenantId), expected);

  const ids = ndjsonEventIds(ndjsonPath);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate (row, status) in the NDJSON file');
  const stats = h.store.stats(h.tenant.tenantId);
  assert.equal(ids.length, stats.rows + stats.statusChanges, 'one line per stored (row, status)');
  const lineIds = new Set(ids);
  for (const id of finalEventIds(h.tenant, SINCE, fastUntil, now))
    assert.ok(lineIds.has(id), 'final status line');
  assert.deepEqual(new Set(memory.events.keys()), lineIds);

  const usage = collector.quotaUsage()[h.tenant.tenantId]!;
  assert.ok(usage.requestsLastHour > 0 && usage.fractionOfBudget < 0.7);
  const metrics = collector.sinkMetrics();
  assert.equal(metrics.ndjson?.acknowledged, ids.length);
});
