// Two collectors of one tenant on one store, as two real processes wired like `mailtrace collect` (Elasticsearch
// and NDJSON sinks): the first holds the lease and is killed -9 at each named point of the delivery path, or
// paused (SIGSTOP) past its lease's expiry and resumed. Every move is triggered by a failpoint the child reports
// (src/core/failpoints.ts), never by a timer; simulated time is frozen, so the oracle and the collectors look at
// the same instant. Each scenario ends with the store equal to the simulator's ground truth and the NDJSON file
// and the Elasticsearch index holding every stored (row, status) exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { ControllableClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { openStore } from '../../src/store/index.ts';
import type { CycleReport } from '../../src/trace/collector.ts';
import { DEFAULT_LEASE_TTL_MS } from '../../src/trace/tenant-lease.ts';
import {
  COLLECT_CHILD,
  type CollectChildResult,
  type CollectChildSpec,
  owedAtStart,
  writeChildConfig,
} from '../../bench/lib/collect-child.ts';
import { type ElasticsearchServer, startElasticsearchServer } from '../sinks/servers/elasticsearch-server.ts';
import { type ChildRun, SteeredChild } from '../support/child.ts';
import { expectedRows, ndjsonEventIds, storedRows } from './collector-harness.ts';

const ANCHOR = Date.parse('2026-03-02T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SINCE = ANCHOR - 3 * HOUR;

const tenant = generateTenant({
  users: 30,
  days: 1,
  seed: 5150,
  anchor: new Date(ANCHOR),
  messagesPerUserPerDay: 30,
  futureHours: 4,
  campaignRecipients: 15,
});
const clock = new ControllableClock(ANCHOR, 0, Date.now);
let es: ElasticsearchServer;
const simulators: Simulator[] = [];

before(async () => {
  es = await startElasticsearchServer();
});
after(async () => {
  await es.server.down();
});

interface Scenario {
  dir: string;
  storePath: string;
  ndjsonPath: string;
  /** The Elasticsearch index this scenario writes (each scenario its own). */
  index: string;
  spec(extra?: Partial<CollectChildSpec>): string;
}

/**
 * Its own simulator per scenario: with time frozen, the tenant's message-trace quota (100 requests per 5 min)
 * never refills, so scenarios sharing one would run out of it depending on their order.
 */
async function scenario(name: string): Promise<Scenario> {
  const sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency: 'zero', clock });
  simulators.push(sim);
  const dir = mkdtempSync(join(tmpdir(), `mailtrace-lease-${name}-`));
  const index = `mailtrace-lease-${name}`;
  const configPath = writeChildConfig(dir, tenant, sim, {
    sinks: [
      { type: 'elasticsearch', url: es.url, index, timeoutMs: 5000 },
      { type: 'ndjson', path: 'events.ndjson' },
    ],
  });
  const storePath = join(dir, 'store.sqlite');
  const base: CollectChildSpec = {
    mode: 'once',
    configPath,
    storePath,
    since: SINCE,
    simBaseMs: clock.nowMs(),
    realBaseMs: Date.now(),
    scale: 0,
    delayMs: 5 * MINUTE,
    trailingWindowMs: 6 * HOUR,
    cycleIntervalMs: MINUTE,
    reconcileIntervalMs: 0,
    maxWindowMs: HOUR,
    pageSize: 20,
  };
  return {
    dir,
    storePath,
    ndjsonPath: join(dir, 'events.ndjson'),
    index,
    spec: (extra = {}) => JSON.stringify({ ...base, ...extra }),
  };
}

const children: SteeredChild[] = [];
afterEach(async () => {
  // A failed assertion must not leave a stopped child behind to hold the test run open.
  for (const child of children.splice(0)) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) continue;
    process.stderr.write(`left running (pid ${child.process.pid}), its stderr:\n${child.stderrSoFar()}\n`);
    child.process.kill('SIGKILL');
  }
  for (const sim of simulators.splice(0)) await sim.close();
});

function start(s: Scenario, failpoints?: string, extra?: Partial<CollectChildSpec>): SteeredChild {
  const child = new SteeredChild(COLLECT_CHILD, [s.spec(extra)], {
    cwd: s.dir,
    ...(failpoints !== undefined ? { failpoints } : {}),
  });
  children.push(child);
  return child;
}

function report(run: ChildRun): CycleReport {
  const last = run.stdout.trim().split('\n').at(-1);
  assert.ok(last, `the child printed its report (stderr: ${run.stderr})`);
  return (JSON.parse(last) as CollectChildResult).report;
}

/** A second collector started while `holder` holds the lease: it does nothing and names the holder. */
async function assertHeldBy(s: Scenario, holder: SteeredChild): Promise<void> {
  const second = start(s, 'lease.held=notify');
  const run = await second.done;
  assert.equal(run.code, 0, run.stderr);
  assert.ok(second.reached('lease.held'), 'the second collector found the lease held');
  const t = report(run).tenants[0]!;
  assert.equal(t.ok, false);
  assert.equal(t.heldBy?.pid, holder.process.pid, 'it names the holder');
  assert.match(t.error ?? '', new RegExp(`pid ${holder.process.pid} on `));
  assert.equal(t.requests, 0, 'it read nothing from Graph');
}

/** A clean run, then the oracle: store = ground truth; NDJSON and Elasticsearch hold each event exactly once. */
async function assertCleanRunCompletes(s: Scenario): Promise<{ owed: Record<string, string[]> }> {
  const run = await start(s).done;
  assert.equal(run.code, 0, run.stderr);
  const t = report(run).tenants[0]!;
  assert.equal(t.ok, true, t.error);
  const store = openStore(s.storePath);
  try {
    const now = clock.nowMs();
    const expected = expectedRows(tenant, SINCE, Date.parse(t.fastUntil!), now);
    assert.ok(expected.size > 100, `a meaningful amount of traffic (${expected.size} rows)`);
    assert.deepEqual(storedRows(store, tenant.tenantId), expected, 'the store holds the ground truth');
    const stats = store.stats(tenant.tenantId);
    const ids = ndjsonEventIds(s.ndjsonPath);
    const unique = new Set(ids);
    assert.equal(ids.length - unique.size, 0, 'no event twice in NDJSON');
    assert.equal(ids.length, stats.rows + stats.statusChanges, 'one NDJSON line per stored (row, status)');
    const indexed = new Set(es.indices.get(s.index)?.keys() ?? []);
    assert.deepEqual(indexed, unique, 'Elasticsearch holds exactly the events NDJSON holds');
    return { owed: owedAtStart(run.stderr) };
  } finally {
    store.close();
  }
}

const KILL_POINTS = [
  'collector.page-stored@2',
  'collector.sink-flushed:ndjson@2',
  'collector.sink-acked:elasticsearch@2',
  'collector.outbox-settled@2',
  'collector.checkpoint-advancing@2',
];

for (const point of KILL_POINTS) {
  test(`two collectors together, the holder killed -9 at ${point}: the next owner delivers its outbox once`, {
    timeout: 60_000,
  }, async () => {
    const s = await scenario(point.replace(/[^a-z0-9]+/g, '-'));
    const first = start(s, `lease.acquired=stop,${point}=kill`);
    await first.waitFor('lease.acquired');
    await first.stopped();
    await assertHeldBy(s, first);
    await first.resume();
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL', `the holder died at ${point}: ${killed.stderr}`);
    assert.ok(first.reached(point.replace(/@\d+$/, '')));
    // Its pid is gone: the next collector on this host takes the lease over at once.
    const { owed } = await assertCleanRunCompletes(s);
    // Killed after NDJSON fsynced and before its acknowledgement was recorded: NDJSON is owed, by construction.
    if (point.startsWith('collector.sink-flushed:ndjson'))
      assert.ok((owed.ndjson?.length ?? 0) > 0, 'the killed holder left events owed: the next owner delivered them');
  });
}

// Paused with a page stored and not yet delivered (the resumed holder would write it a second time), and paused
// with NDJSON written but the acknowledgement not recorded (the successor must recognise the lines, not repeat).
for (const point of ['collector.page-stored@2', 'collector.sink-flushed:ndjson@2']) {
  test(`a holder paused past its lease expiry at ${point} is fenced when it resumes: nothing lands twice`, {
    timeout: 60_000,
  }, async () => {
    const s = await scenario(`sigstop-${point.replace(/[^a-z0-9]+/g, '-')}`);
    const paused = start(s, `${point}=stop`);
    await paused.waitFor(point.replace(/@\d+$/, ''));
    await paused.stopped();
    // Alive but silent: a second collector whose clock has passed the lease's expiry takes it over, delivers
    // what the paused one owed and finishes.
    const takeover = start(s, 'lease.acquired=notify', { offsetMs: DEFAULT_LEASE_TTL_MS + 1000 });
    const run = await takeover.done;
    assert.equal(run.code, 0, run.stderr);
    assert.ok((owedAtStart(run.stderr).ndjson?.length ?? 0) > 0, 'the paused holder owed events its successor delivered');
    assert.equal(report(run).tenants[0]!.ok, true, 'the second collector took the lease over and finished');

    await paused.resume();
    const resumed = await paused.done;
    assert.equal(resumed.code, 0, resumed.stderr);
    const t = report(resumed).tenants[0]!;
    assert.equal(t.ok, false, 'the resumed holder found its lease taken');
    assert.match(t.error ?? '', /lease/);
    await assertCleanRunCompletes(s);
  });
}
