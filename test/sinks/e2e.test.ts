// End to end: the simulator (late rows, status changes, Graph faults, time ×300) → the collector in a child
// process wired from a config file exactly as `mailtrace collect` is → Sekoia.io intake + Splunk HEC (indexer
// ack) + Elasticsearch + NDJSON at once, killed -9 at named points of the delivery path (src/core/failpoints.ts:
// after a page is stored, after a sink answered and before the outbox recorded it, before the checkpoint advances)
// and Elasticsearch down for a while. At the end:
// - the store holds every row the simulator shows, with its final status;
// - Elasticsearch (idempotent by _id) and NDJSON hold every (row, status) the store recorded exactly once;
// - Sekoia and Splunk (not idempotent) miss nothing, and any event they hold twice was owed to them by the
//   outbox at a restart (a crash between their acceptance and the outbox write): copies ≤ 1 + such restarts;
// - while Elasticsearch was down, the collector's checkpoint did not move.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { COLLECT_CHILD, type CollectChildSpec, owedAtStart, writeChildConfig } from '../../bench/lib/collect-child.ts';
import { clockMapping, ControllableClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import type { Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import { installIndexTemplate } from '../../src/sinks/elasticsearch.ts';
import { DEFAULT_INDEX } from '../../src/sinks/index-template.ts';
import { openStore } from '../../src/store/index.ts';
import type { CycleReport } from '../../src/trace/collector.ts';
import { ecsEventId } from '../../src/trace/ecs.ts';
import { readOutbox } from '../../src/trace/outbox.ts';
import { STATE_CHECKPOINT } from '../../src/trace/tenant-collector.ts';
import { expectedRows, finalEventIds, ndjsonEventIds, storedRows } from '../trace/collector-harness.ts';
import { type ChildRun as SteeredRun, SteeredChild } from '../support/child.ts';
import { startElasticsearchServer } from './servers/elasticsearch-server.ts';
import { startSekoiaServer } from './servers/sekoia-server.ts';
import { startSplunkServer } from './servers/splunk-server.ts';

const ANCHOR = Date.parse('2026-03-02T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SCALE = 300;
const SINCE = ANCHOR - 3 * HOUR;
const PAGE_SIZE = 20;

const INTAKE_KEY = 'e2e-intake-key-7c6b5a49';
const HEC_TOKEN = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const ES_API_KEY = 'ZTJlOmVsYXN0aWNzZWNyZXQ=';

const GRAPH_FAULTS = {
  seed: 5,
  throttle429: 0.03,
  unavailable503: 0.02,
  connectionReset: 0.01,
  brokenSkiptoken: 0.05,
  exempt: /oauth2/,
};

interface ChildRun extends SteeredRun {
  /** Keys the outbox owed each sink when this run started. */
  owed: Record<string, string[]>;
}

/** Runs the child to its end: a `once` cycle, or a daemon until the armed failpoint kills it. */
async function runChild(spec: CollectChildSpec, failpoints?: string): Promise<ChildRun> {
  const child = new SteeredChild(COLLECT_CHILD, [JSON.stringify(spec)], failpoints === undefined ? {} : { failpoints });
  const run = await child.done;
  return { ...run, owed: owedAtStart(run.stderr) };
}

/** The (row, status) key of a raw Graph row, as Sekoia and Splunk (raw format) receive it. */
function rowKey(row: unknown): string {
  return ecsEventId(row as { id: string; recipientAddress: string; status: string });
}

function countBy(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/**
 * Every key the sink holds is a real (row, status), none is missing, and a key held n > 1 times was owed to this
 * sink by the outbox at n − 1 restarts or more. Returns the number of extra copies.
 */
function assertNoLossBoundedDuplicates(
  sink: string,
  received: readonly string[],
  expected: ReadonlySet<string>,
  runs: readonly ChildRun[],
): number {
  const counts = countBy(received);
  for (const key of expected) assert.ok(counts.has(key), `${sink} is missing event ${key}`);
  let extra = 0;
  for (const [key, n] of counts) {
    assert.ok(expected.has(key), `${sink} holds ${key}, which the store never recorded`);
    if (n === 1) continue;
    extra += n - 1;
    const owingRestarts = runs.filter((r) => r.owed[sink]?.includes(key)).length;
    assert.ok(
      n - 1 <= owingRestarts,
      `${sink} holds ${key} ${n} times but only ${owingRestarts} restart(s) owed it`,
    );
  }
  return extra;
}

function writeConfig(
  dir: string,
  tenant: Tenant,
  sim: { url: string; caCertPath: string },
  urls: Urls,
): string {
  const secret = (name: string, value: string) => writeFileSync(join(dir, name), value, { mode: 0o600 });
  secret('intake.key', INTAKE_KEY);
  secret('hec.token', HEC_TOKEN);
  secret('es.key', ES_API_KEY);
  return writeChildConfig(dir, tenant, sim, {
    sinks: [
      { type: 'sekoia', intakeServer: urls.sekoia, intakeKeyFile: 'intake.key', timeoutMs: 5000 },
      {
        type: 'splunk-hec',
        name: 'splunk',
        url: urls.splunk,
        tokenFile: 'hec.token',
        useAck: true,
        ackPollIntervalMs: 20,
        ackTimeoutMs: 5000,
      },
      { type: 'elasticsearch', url: urls.elasticsearch, apiKeyFile: 'es.key', timeoutMs: 5000 },
      { type: 'ndjson', path: 'events.ndjson' },
    ],
  });
}

interface Urls {
  sekoia: string;
  splunk: string;
  elasticsearch: string;
}

test('collect into Sekoia + Splunk HEC + Elasticsearch + NDJSON through SIGKILLs and an outage', {
  timeout: 90_000,
}, async () => {
  const started = performance.now();
  const tenant = generateTenant({
    users: 30,
    days: 1,
    seed: 2718,
    anchor: new Date(ANCHOR),
    messagesPerUserPerDay: 40,
    futureHours: 8,
    campaignRecipients: 15,
  });
  const clock = new ControllableClock(ANCHOR, SCALE, Date.now);
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency: 'zero',
    clock,
    faults: GRAPH_FAULTS,
  });
  const sekoia = await startSekoiaServer({ intakeKey: INTAKE_KEY });
  const splunk = await startSplunkServer({ token: HEC_TOKEN, useAck: true });
  const es = await startElasticsearchServer({ auth: { apiKey: ES_API_KEY } });
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-sinks-e2e-'));
  try {
    const configPath = writeConfig(dir, tenant, sim, {
      sekoia: sekoia.url,
      splunk: splunk.url,
      elasticsearch: es.url,
    });
    // The template makes the test cluster check every document's ip/date/long fields: a mapping error would be
    // a dropped document, and a missing event below.
    await installIndexTemplate({ url: es.url, auth: { kind: 'apiKey', apiKey: ES_API_KEY } });
    // Sink faults the sinks retry inside one write: a 503 and a 429 storm at the intake, a busy HEC, and
    // per-item 429/503 answers inside Elasticsearch 200s.
    sekoia.server.faults.push({ status: 503 }, { status: 429 }, { status: 429 }, { delayMs: 300 });
    splunk.server.faults.push({ status: 503, body: '{"text":"Server is busy","code":9}' });
    const someKeys = [...finalEventIds(tenant, SINCE, ANCHOR, ANCHOR)].slice(0, 4);
    for (const key of someKeys)
      es.itemFaults.set(key, [
        { status: 429, type: 'es_rejected_execution_exception' },
        { status: 503, type: 'unavailable_shards_exception' },
      ]);

    const storePath = join(dir, 'store.sqlite');
    const ndjsonPath = join(dir, 'events.ndjson');
    const base = {
      configPath,
      storePath,
      since: SINCE,
      delayMs: 5 * MINUTE,
      trailingWindowMs: 12 * HOUR,
      cycleIntervalMs: 2 * MINUTE,
      reconcileIntervalMs: 20 * MINUTE,
      maxWindowMs: 30 * MINUTE,
      pageSize: PAGE_SIZE,
    };
    const spec = (mode: CollectChildSpec['mode'], scale: number): CollectChildSpec => ({
      ...base,
      mode,
      scale,
      ...clockMapping(clock),
    });
    const readStore = () => {
      const store = openStore(storePath);
      try {
        return {
          state: store.getCheckpointRecord<unknown>(tenant.tenantId, STATE_CHECKPOINT),
          outbox: readOutbox(store, tenant.tenantId),
        };
      } finally {
        store.close();
      }
    };

    const runs: ChildRun[] = [];
    // A daemon killed -9 at a named point of the delivery path (`name[:sink]@hit`), never at a guessed moment.
    // Fifteen simulated minutes before each run whatever the machine's speed: rows age, and statuses change.
    const killedAt = async (point: string) => {
      clock.advance(15 * MINUTE);
      const run = await runChild(spec('daemon', SCALE), `${point}=kill`);
      assert.equal(run.signal, 'SIGKILL', `a daemon run ended by itself: ${run.stderr}`);
      assert.ok(run.failpoints.some((f) => f.startsWith(point.replace(/@\d+$/, ''))), `killed at ${point}`);
      runs.push(run);
      return run;
    };
    /** One cycle that ends by itself (here: stopped by the sink that is down). */
    const cycle = async () => {
      clock.advance(15 * MINUTE);
      const run = await runChild(spec('once', SCALE));
      assert.equal(run.code, 0, run.stderr);
      runs.push(run);
      return run;
    };

    // Phase 0: one whole cycle, so that rows still settling are stored before the kills start (their status
    // changes come in later runs, whatever the machine's speed).
    await cycle();

    // Phase 1: every sink up; killed after a page is stored, after NDJSON fsynced and Sekoia answered but before
    // the outbox recorded it, and right before the checkpoint advances.
    for (const point of [
      'collector.page-stored@2',
      'collector.sink-flushed:ndjson@3',
      'collector.sink-flushed:sekoia@2',
      'collector.checkpoint-advancing@3',
    ])
      await killedAt(point);

    // Phase 2: Elasticsearch down. The other sinks take what they are given; the cycle stops at the first page
    // Elasticsearch owes, and the checkpoint stays where it was for as long as the cluster is away.
    await es.server.down();
    const stopped = await cycle();
    assert.equal(
      (JSON.parse(stopped.stdout.trim().split('\n').at(-1)!) as { report: CycleReport }).report.tenants[0]!.ok,
      false,
      'the cycle stopped on the sink that is down',
    );
    const down = readStore();
    const esOwed = down.outbox.filter((e) => e.sinks.includes('elasticsearch'));
    assert.ok(esOwed.length > 0, 'events were left owed to the stopped Elasticsearch');
    assert.ok(down.state !== undefined, 'the collector had a checkpoint');
    for (let i = 0; i < 2; i++) {
      await cycle();
      const during = readStore();
      assert.deepEqual(during.state, down.state, 'the checkpoint did not move while Elasticsearch was down');
      const owedNow = during.outbox.filter((e) => e.sinks.includes('elasticsearch'));
      assert.ok(owedNow.length > 0 && owedNow.length <= PAGE_SIZE, `bounded outbox (${owedNow.length})`);
    }
    const esBeforeUp = es.count();

    // Phase 3: back up; more kills (the first right after Elasticsearch acknowledged what it was owed), then a
    // clean final run at a frozen instant that re-reads everything.
    await es.server.up();
    for (const point of [
      'collector.sink-acked:elasticsearch@1',
      'collector.outbox-settled@3',
      'collector.sink-flushed:splunk@2',
    ])
      await killedAt(point);
    const after = readStore();
    assert.notDeepEqual(after.state, down.state, 'the checkpoint moved again once Elasticsearch was back');
    assert.ok(es.count() > esBeforeUp, 'Elasticsearch received what it was owed');

    sim.setFaults({ exempt: /oauth2/ });
    clock.advance(6 * MINUTE);
    clock.setScale(0);
    const final = await runChild({ ...spec('once', 0), reconcileIntervalMs: 0 });
    runs.push(final);
    assert.equal(final.code, 0, final.stderr);
    const { report } = JSON.parse(final.stdout.trim().split('\n').at(-1)!) as { report: CycleReport };
    const t = report.tenants[0]!;
    assert.equal(t.ok, true, t.error);
    assert.equal(t.reconciled, true);
    assert.deepEqual(t.dropped, {}, 'no sink dropped anything');

    const store = openStore(storePath);
    let stats: ReturnType<typeof store.stats>;
    try {
      const now = clock.nowMs();
      const fastUntil = Date.parse(t.fastUntil!);
      const expected = expectedRows(tenant, SINCE, fastUntil, now);
      assert.ok(expected.size > 100, `a meaningful amount of traffic (${expected.size} rows)`);
      assert.deepEqual(storedRows(store, tenant.tenantId), expected, 'the store matches the simulator');
      assert.deepEqual(readOutbox(store, tenant.tenantId), [], 'nothing is owed to any sink at the end');
      stats = store.stats(tenant.tenantId);
      assert.ok(stats.statusChanges > 5, `status changes happened (${stats.statusChanges})`);
      const ndjson = ndjsonEventIds(ndjsonPath);
      const all = new Set(ndjson);
      assert.equal(all.size, ndjson.length, 'NDJSON: each (row, status) exactly once');
      assert.equal(all.size, stats.rows + stats.statusChanges, 'NDJSON: one line per (row, status) stored');
      for (const id of finalEventIds(tenant, SINCE, fastUntil, now))
        assert.ok(all.has(id), `final (row, status) ${id} was delivered`);

      const esDocs = es.indices.get(DEFAULT_INDEX) ?? new Map();
      assert.deepEqual(
        new Set(esDocs.keys()),
        all,
        'Elasticsearch: each (row, status) exactly once (by _id)',
      );

      const sekoiaExtra = assertNoLossBoundedDuplicates('sekoia', sekoia.events.map(rowKey), all, runs);
      const splunkExtra = assertNoLossBoundedDuplicates(
        'splunk',
        splunk.indexed.map((e) => rowKey(e.event)),
        all,
        runs,
      );
      const owedRestarts = runs.filter((r) => (r.owed.sekoia?.length ?? 0) > 0).length;
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(
        `sinks e2e: ${runs.filter((r) => r.signal === 'SIGKILL').length} kills, ${stats.rows} rows, ${stats.statusChanges} status changes, ` +
          `${all.size} events; Elasticsearch ${esDocs.size} docs; duplicates: sekoia ${sekoiaExtra}, ` +
          `splunk ${splunkExtra} (${owedRestarts} restarts owed Sekoia events); ` +
          `${esOwed.length} events held for Elasticsearch while down; ${seconds.toFixed(1)} s\n`,
      );
    } finally {
      store.close();
    }
  } finally {
    await Promise.all([sekoia.server.stop(), splunk.server.stop(), es.server.stop()]);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
