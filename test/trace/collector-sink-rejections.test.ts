// A sink that refuses events must never turn into lost data (issue #21 item 2): a misconfigured Elasticsearch
// (missing ingest pipeline) answers every item 400, and the collector must hold its checkpoint and fail the
// cycle; an event a sink refuses for the event's own sake is dropped only once a dead-letter file holds it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { DeadLetterFile } from '../../src/sinks/dead-letter.ts';
import { ElasticsearchSink } from '../../src/sinks/elasticsearch.ts';
import type { SinkAck, SinkEvent } from '../../src/sinks/types.ts';
import { Collector } from '../../src/trace/collector.ts';
import { readOutbox } from '../../src/trace/outbox.ts';
import { FAST_RETRY } from '../sinks/servers/base.ts';
import { startElasticsearchServer } from '../sinks/servers/elasticsearch-server.ts';
import { ANCHOR, type Harness, MemorySink, startHarness } from './collector-harness.ts';

const HOUR = 3_600_000;
const SINCE = Date.parse(ANCHOR) - 12 * HOUR;

// Each test collects the same range from scratch: its own simulated tenant and store.
let h: Harness;
beforeEach(async () => {
  h = await startHarness({ seed: 21 });
});
afterEach(async () => {
  await h.close();
});

const collectorWith = (sinks: ConstructorParameters<typeof Collector>[0]['sinks'], deadLetter?: DeadLetterFile) =>
  new Collector({
    store: h.store,
    sinks,
    tenants: [h.collectorTenant()],
    clock: h.clock,
    since: SINCE,
    reconcileIntervalMs: 0,
    recordRuns: false,
    ...(deadLetter ? { deadLetter } : {}),
  });

test('a missing ingest pipeline holds the checkpoint and fails the cycle; once fixed every event arrives', async () => {
  const es = await startElasticsearchServer();
  const sink = new ElasticsearchSink({ url: es.url, pipeline: 'enrich-mail', retry: FAST_RETRY });
  try {
    const collector = collectorWith([sink]);
    const failed = (await collector.runOnce()).tenants[0]!;
    assert.equal(failed.ok, false);
    assert.match(failed.error ?? '', /pipeline with id \[enrich-mail\] does not exist.*fix the sink; events are kept/);
    assert.equal(failed.fastUntil, null, 'the checkpoint did not move past undelivered events');
    assert.deepEqual(failed.dropped, {});
    const owed = readOutbox(h.store, h.tenant.tenantId).length;
    assert.ok(owed > 0, 'the refused events wait in the outbox');
    assert.equal(es.count(), 0);
    assert.equal((await sink.healthcheck()).ok, false, '`sinks check` and doctor see the misconfiguration');

    es.pipelines.set('enrich-mail', { processors: [] });
    const fixed = (await collector.runOnce()).tenants[0]!;
    assert.equal(fixed.ok, true, fixed.error);
    assert.notEqual(fixed.fastUntil, null);
    assert.equal(readOutbox(h.store, h.tenant.tenantId).length, 0);
    assert.ok(es.count() >= owed, 'everything owed is stored now');
    assert.equal(es.count(), fixed.events.new + fixed.events.statusChanged);
  } finally {
    await sink.close();
    await es.server.stop();
  }
});

/** Refuses every third event for its own sake, as Sekoia does an event over its size limit. */
class OversizeRefusingSink extends MemorySink {
  override async write(batch: readonly SinkEvent[]): Promise<SinkAck> {
    const refused = batch.filter((_, i) => i % 3 === 0);
    const ack = await super.write(batch.filter((_, i) => i % 3 !== 0));
    for (const e of refused) this.events.delete(e.key);
    return { ...ack, dropped: refused.map((e) => ({ key: e.key, reason: 'too_large' })) };
  }
}

test('an event refused for good is dropped only into the dead-letter file, counted by reason', async () => {
  const unwritable = new DeadLetterFile(join(h.dir, 'no-such-dir', 'dead.ndjson'));
  const refusing = new OversizeRefusingSink('intake');
  const blocked = (await collectorWith([refusing], unwritable).runOnce()).tenants[0]!;
  assert.equal(blocked.ok, false, 'no dead-letter file, no drop: the events stay owed');
  assert.match(blocked.error ?? '', /dead-letter file could not keep it/);
  const owedKeys = readOutbox(h.store, h.tenant.tenantId).map((e) => e.key);
  assert.ok(owedKeys.length > 0);

  const path = join(h.dir, 'dead.ndjson');
  const report = (await collectorWith([refusing], new DeadLetterFile(path)).runOnce()).tenants[0]!;
  assert.equal(report.ok, true, report.error);
  assert.equal(report.deadLetter, path);
  const lines = readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: string; sink: string; reason: string; row: { id: string } });
  assert.deepEqual(report.dropped, { 'intake: too_large': lines.length });
  assert.ok(lines.every((l) => l.sink === 'intake' && l.reason === 'too_large' && typeof l.row.id === 'string'));
  assert.equal(readOutbox(h.store, h.tenant.tenantId).length, 0);
  // Every refused-then-owed event is either in the sink or in the dead-letter file, never nowhere.
  const kept = new Set(lines.map((l) => l.key));
  for (const key of owedKeys) assert.ok(kept.has(key) || refusing.events.has(key), `event ${key} was lost`);
});
