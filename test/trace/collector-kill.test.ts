// kill -9, again and again: a simulator in this process (late rows, status changes, ~10 % faults, broken
// skiptokens, time scaled ×300) and a collector in a child process (the same wiring as `mailtrace collect`)
// writing a store and an NDJSON file, killed with SIGKILL at every named point of the delivery path in turn
// (src/core/failpoints.ts: page stored, NDJSON fsynced, acknowledgement recorded, outbox settled, checkpoint
// advancing and advanced), at its first, second or third pass, and restarted. After a final clean run, the store
// holds every row the simulator shows with its final status, and the NDJSON file holds every (row, status) the
// store recorded, exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  COLLECT_CHILD,
  type CollectChildResult,
  type CollectChildSpec,
  owedAtStart,
  writeChildConfig,
} from '../../bench/lib/collect-child.ts';
import { clockMapping, ControllableClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import { openStore } from '../../src/store/index.ts';
import { type ChildRun, SteeredChild } from '../support/child.ts';
import { expectedRows, finalEventIds, ndjsonEventIds, storedRows } from './collector-harness.ts';

const ANCHOR = Date.parse('2026-03-02T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SCALE = 300;
const KILLS = 18;
const SINCE = ANCHOR - 3 * HOUR;

const FAULTS = {
  seed: 99,
  throttle429: 0.03,
  unavailable503: 0.02,
  gatewayTimeout504: 0.02,
  connectionReset: 0.01,
  throttle429NoRetryAfter: 0.02,
  brokenSkiptoken: 0.1,
  exempt: /oauth2/,
};

const DELIVERY_POINTS = [
  'collector.page-stored',
  'collector.sink-flushed:ndjson',
  'collector.sink-acked:ndjson',
  'collector.outbox-settled',
  'collector.checkpoint-advancing',
  'collector.checkpoint-advanced',
];

/** Runs the child to its end: a `once` cycle, or a daemon until the armed failpoint kills it. */
function runChild(spec: CollectChildSpec, failpoints?: string): Promise<ChildRun> {
  return new SteeredChild(COLLECT_CHILD, [JSON.stringify(spec)], failpoints === undefined ? {} : { failpoints })
    .done;
}

test('kill -9 at every delivery point, 18 times: nothing lost, nothing duplicated', {
  timeout: 90_000,
}, async () => {
  const started = performance.now();
  const tenant = generateTenant({
    users: 30,
    days: 1,
    seed: 4242,
    anchor: new Date(ANCHOR),
    messagesPerUserPerDay: 30,
    futureHours: 8,
    campaignRecipients: 15,
  });
  const clock = new ControllableClock(ANCHOR, SCALE, Date.now);
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency: 'zero',
    clock,
    faults: FAULTS,
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrace-kill-'));
    const configPath = writeChildConfig(dir, tenant, sim);
    const storePath = join(dir, 'store.sqlite');
    const ndjsonPath = join(dir, 'events.ndjson');
    const base = {
      configPath,
      storePath,
      ndjsonPath,
      since: SINCE,
      delayMs: 5 * MINUTE,
      // Long enough that the last clean run re-reads everything collected since SINCE.
      trailingWindowMs: 16 * HOUR,
      cycleIntervalMs: 2 * MINUTE,
      reconcileIntervalMs: 20 * MINUTE,
      maxWindowMs: HOUR,
      pageSize: 20,
    };
    const spec = (mode: CollectChildSpec['mode'], scale: number): CollectChildSpec => ({
      ...base,
      mode,
      scale,
      ...clockMapping(clock),
    });

    // One whole cycle first, so that rows still settling are stored before the kills start (their status changes
    // come in later runs, whatever the machine's speed).
    const first = await runChild(spec('once', SCALE));
    assert.equal(first.code, 0, first.stderr);
    let kills = 0;
    let restartsOwing = 0;
    let restartsSkipping = 0;
    for (let i = 0; i < KILLS; i++) {
      const point = `${DELIVERY_POINTS[i % DELIVERY_POINTS.length]!}@${1 + (Math.floor(i / DELIVERY_POINTS.length) % 3)}`;
      // Ten simulated minutes between runs whatever the machine's speed: rows age, and statuses change.
      clock.advance(10 * MINUTE);
      const run = await runChild(spec('daemon', SCALE), `${point}=kill`);
      assert.equal(run.signal, 'SIGKILL', `run ${i} ended by itself: ${run.stderr}`);
      assert.ok(run.failpoints.length > 0, `run ${i} was killed at ${point}`);
      kills++;
      if ((owedAtStart(run.stderr).ndjson?.length ?? 0) > 0) restartsOwing++;
      if (/child: skipped [1-9]/.test(run.stderr)) restartsSkipping++;
    }

    // The final clean run: faults off, the budget window emptied, time frozen so that the oracle and the
    // collector look at the same instant.
    sim.setFaults({ exempt: /oauth2/ });
    clock.advance(6 * MINUTE);
    clock.setScale(0);
    // Reconcile now whatever the last killed run did: the final run must re-read everything.
    const final = await runChild({ ...spec('once', 0), reconcileIntervalMs: 0 });
    assert.equal(final.code, 0, final.stderr);
    const { report } = JSON.parse(final.stdout.trim().split('\n').at(-1)!) as CollectChildResult;
    const t = report.tenants[0]!;
    assert.equal(t.ok, true, t.error);
    assert.equal(t.reconciled, true, 'the final run re-read the whole collected range');

    const store = openStore(storePath);
    try {
      const now = clock.nowMs();
      const fastUntil = Date.parse(t.fastUntil!);
      assert.ok(fastUntil >= now - 6 * MINUTE, 'the final run caught up to now − delay');
      const expected = expectedRows(tenant, SINCE, fastUntil, now);
      assert.ok(expected.size > 200, `a meaningful amount of traffic (${expected.size} rows)`);
      const stored = storedRows(store, tenant.tenantId);
      assert.deepEqual(stored, expected, 'every row the simulator shows is stored with its final status');

      const stats = store.stats(tenant.tenantId);
      assert.ok(stats.statusChanges > 20, `status changes happened (${stats.statusChanges})`);
      const ids = ndjsonEventIds(ndjsonPath);
      const unique = new Set(ids);
      assert.equal(
        unique.size,
        ids.length,
        `no (row, status) twice in NDJSON (${ids.length - unique.size} dups)`,
      );
      assert.equal(ids.length, stats.rows + stats.statusChanges, 'one NDJSON line per (row, status) stored');
      for (const id of finalEventIds(tenant, SINCE, fastUntil, now))
        assert.ok(unique.has(id), `final (row, status) ${id} is in the NDJSON output`);

      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(
        `kill test: ${kills} kills, ${restartsOwing} restarts owed NDJSON events, ${restartsSkipping} skipped rewrites, ${stats.rows} rows, ` +
          `${stats.statusChanges} status changes, ${ids.length} NDJSON lines, ${seconds.toFixed(1)} s\n`,
      );
      assert.equal(kills, KILLS);
      // Each kill after the NDJSON fsync leaves lines written but unacknowledged: the next start must skip them.
      assert.ok(
        restartsSkipping >= 2,
        'restarts did find already-written events to skip (exactly-once exercised)',
      );
    } finally {
      store.close();
    }
  } finally {
    await sim.close();
  }
});
