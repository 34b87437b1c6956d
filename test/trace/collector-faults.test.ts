import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NdjsonSink } from '../../src/sinks/ndjson.ts';
import { Collector } from '../../src/trace/collector.ts';
import {
  ANCHOR,
  expectedRows,
  finalEventIds,
  type Harness,
  ndjsonEventIds,
  startHarness,
  storedRows,
} from './collector-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SINCE = Date.parse(ANCHOR) - 48 * HOUR;

let h: Harness;
before(async () => {
  h = await startHarness({
    seed: 23,
    perUserPerDay: 20,
    faults: { seed: 5, brokenSkiptoken: 0.15, throttle429: 0.05, unavailable503: 0.05 },
  });
});
after(async () => {
  await h.close();
});

test('with broken skiptokens and 10 % 429/503, every row ends with its final status, once per status', async () => {
  const ndjsonPath = join(h.dir, 'events.ndjson');
  const ndjson = new NdjsonSink({ path: ndjsonPath });
  const collector = new Collector({
    store: h.store,
    sinks: [ndjson],
    tenants: [h.collectorTenant()],
    clock: h.clock,
    since: SINCE,
    reconcileIntervalMs: 0,
    pageSize: 25,
    maxWindowMs: 6 * HOUR,
  });
  let broken = 0;
  let splits = 0;
  let failedCycles = 0;
  for (let cycle = 0; cycle < 16; cycle++) {
    const report = (await collector.runOnce()).tenants[0]!;
    broken += report.brokenSkiptokens;
    splits += report.splits;
    if (!report.ok) failedCycles++;
    await h.clock.sleep(30 * MINUTE);
  }
  // A last cycle after everything settled and became visible.
  const last = (await collector.runOnce()).tenants[0]!;
  assert.equal(last.ok, true, last.error);
  assert.ok(broken > 0, 'broken skiptokens were met');
  assert.ok(splits >= broken, 'each broken skiptoken led to a split re-read');
  assert.ok(failedCycles <= 2, `cycles failing after retries are rare (${failedCycles})`);
  assert.ok(h.sim.stats.totalRequests > 0);
  await ndjson.close();

  const now = h.clock.now();
  const fastUntil = h.store.getCheckpoint<{ fastUntil: number }>(h.tenant.tenantId, 'collector')!.fastUntil;
  const expected = expectedRows(h.tenant, SINCE, fastUntil, now);
  assert.ok(expected.size > 500, `a meaningful tenant (${expected.size} rows)`);
  assert.deepEqual(storedRows(h.store, h.tenant.tenantId), expected);

  const ids = ndjsonEventIds(ndjsonPath);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate lines');
  const stats = h.store.stats(h.tenant.tenantId);
  assert.equal(ids.length, stats.rows + stats.statusChanges, 'no missing lines');
  const lineIds = new Set(ids);
  const missing = [...finalEventIds(h.tenant, SINCE, fastUntil, now)].filter((id) => !lineIds.has(id));
  assert.deepEqual(missing, [], 'every row has a line with its final status');
});
