// A SIEM intake down for a long while (its port closed: connection refused), then back: the collector keeps
// reading, holds the checkpoint, keeps what the intake owes in the outbox, and once it is back the backlog drains:
// every (row, status) the store recorded reaches the intake exactly as it reached the NDJSON file, none lost.
// Time is stepped: the outage lasts simulated minutes (hours in full mode) and takes real milliseconds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { NdjsonSink } from '../../src/sinks/ndjson.ts';
import { SplunkHecSink } from '../../src/sinks/splunk-hec.ts';
import { Collector } from '../../src/trace/collector.ts';
import { readOutbox } from '../../src/trace/outbox.ts';
import { startSplunkServer } from '../sinks/servers/splunk-server.ts';
import {
  ANCHOR,
  expectedRows,
  ndjsonEventIds,
  startHarness,
  storedRows,
} from '../trace/collector-harness.ts';
import { size } from './harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TOKEN = 'hec-token-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

test('an intake down for many cycles, then back: the backlog drains, nothing lost, nothing twice', {
  timeout: 60_000,
}, async () => {
  const h = await startHarness({ seed: 61, perUserPerDay: size(12, 40), users: size(30, 80) });
  const hec = await startSplunkServer({ token: TOKEN });
  const ndjsonPath = join(h.dir, 'events.ndjson');
  const ndjson = new NdjsonSink({ path: ndjsonPath });
  const splunk = new SplunkHecSink({
    url: hec.url,
    token: TOKEN,
    eventFormat: 'ecs',
    retry: { maxAttempts: 3, baseDelayMs: 1000, maxBackoffMs: 5000, maxRetryAfterMs: 60_000 },
    timeoutMs: 2_000,
    clock: h.clock,
  });
  try {
    const collector = new Collector({
      store: h.store,
      sinks: [ndjson, splunk],
      tenants: [h.collectorTenant()],
      clock: h.clock,
      since: Date.parse(ANCHOR) - 12 * HOUR,
      reconcileIntervalMs: 0,
      pageSize: 50,
      maxWindowMs: 3 * HOUR,
    });
    let lastCycleEnd = 0;
    const cycle = async () => {
      await h.clock.sleep(5 * MINUTE);
      const report = (await collector.runOnce()).tenants[0]!;
      lastCycleEnd = h.clock.now();
      return report;
    };
    assert.equal((await cycle()).ok, true, 'healthy at first');

    await hec.server.down();
    const outageStart = h.clock.now();
    const outageCycles = size(8, 40);
    let failed = 0;
    for (let i = 0; i < outageCycles; i++) {
      const report = await cycle();
      if (!report.ok) {
        failed++;
        assert.match(report.error ?? '', /splunk/i, 'the failure names the sink');
      }
    }
    const outageMinutes = (h.clock.now() - outageStart) / MINUTE;
    assert.equal(failed, outageCycles, 'every cycle during the outage reports the sink failure');
    const owed = readOutbox(h.store, h.tenant.tenantId);
    assert.ok(owed.length > 0, 'what the intake missed waits in the outbox');
    assert.ok(
      owed.every((e) => e.sinks.length === 1 && e.sinks[0] === 'splunk'),
      'owed by the intake only',
    );

    await hec.server.up();
    let drained = 0;
    for (let i = 0; i < 6; i++) {
      const report = await cycle();
      assert.equal(report.ok, true, report.error);
      if (readOutbox(h.store, h.tenant.tenantId).length === 0) drained++;
    }
    assert.ok(drained > 0, 'the outbox emptied');
    assert.deepEqual(readOutbox(h.store, h.tenant.tenantId), []);
    await ndjson.close();

    // Statuses keep changing as simulated time passes: compare with what Graph showed at the last read.
    const now = lastCycleEnd;
    const fastUntil = h.store.getCheckpoint<{ fastUntil: number }>(h.tenant.tenantId, 'collector')!.fastUntil;
    assert.ok(fastUntil >= now - 15 * MINUTE, 'the checkpoint caught up after the outage');
    assert.deepEqual(
      storedRows(h.store, h.tenant.tenantId),
      expectedRows(h.tenant, Date.parse(ANCHOR) - 12 * HOUR, fastUntil, now),
      'the store holds every row with its final status',
    );
    const fileIds = ndjsonEventIds(ndjsonPath);
    const intakeIds = hec.indexed.map((e) => (e.event as { event: { id: string } }).event.id);
    const stats = h.store.stats(h.tenant.tenantId);
    assert.equal(new Set(fileIds).size, fileIds.length, 'NDJSON: no (row, status) twice');
    assert.equal(fileIds.length, stats.rows + stats.statusChanges, 'NDJSON: every (row, status) recorded');
    assert.deepEqual(new Set(intakeIds), new Set(fileIds), 'the intake got everything the file got');
    assert.ok(intakeIds.length >= fileIds.length);
    console.log(
      `# sink outage: ${outageMinutes} simulated minutes down (${outageCycles} cycles), ${owed.length} events owed at ` +
        `the end of it, ${intakeIds.length} envelopes indexed for ${fileIds.length} events (${intakeIds.length - fileIds.length} re-sent)`,
    );
  } finally {
    await splunk.close();
    await hec.server.stop();
    await h.close();
  }
});
