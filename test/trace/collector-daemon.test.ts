import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createGraphClient } from '../../src/graph/client.ts';
import { ControllableClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import { openStore } from '../../src/store/index.ts';
import { Collector, type CycleReport } from '../../src/trace/collector.ts';
import { ANCHOR, expectedRows, MemorySink, steppedClock, storedRows } from './collector-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

test('run(signal): two tenants in one process, each with its own client, checkpoint and quota', async () => {
  const tenants = [1, 2].map((seed) =>
    generateTenant({
      users: 30,
      days: 2,
      seed,
      anchor: ANCHOR,
      messagesPerUserPerDay: 8,
      tenantName: `tenant${seed}`,
      campaignRecipients: 15,
    }),
  );
  const simClock = new ControllableClock(ANCHOR, 0);
  const sim = await startSimulator({ tenants, router: createGraphRouter, latency: 'zero', clock: simClock });
  const clock = steppedClock(simClock);
  const store = openStore(join(mkdtempSync(join(tmpdir(), 'mailtrace-daemon-')), 'store.db'), {
    now: () => simClock.nowMs(),
  });
  const clients = tenants.map((t) =>
    createGraphClient({
      tenantId: t.tenantId,
      clientId: t.apps[0]!.clientId,
      credential: { clientSecret: t.apps[0]!.secrets[0]!.value },
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caPem: sim.caCertPem,
      clock,
      quotaLedger: store.quotaLedger(),
    }),
  );
  const sink = new MemorySink();
  const cycles: CycleReport[] = [];
  const controller = new AbortController();
  const since = Date.parse(ANCHOR) - 24 * HOUR;
  const collector = new Collector({
    store,
    sinks: [sink],
    tenants: tenants.map((t, i) => ({
      tenantId: t.tenantId,
      acceptedDomains: t.domains,
      send: clients[i]!.send,
    })),
    clock,
    since,
    cycleIntervalMs: 5 * MINUTE,
    onCycle: (report) => {
      cycles.push(report);
      if (cycles.length === 30) controller.abort();
    },
  });
  try {
    await collector.run(controller.signal);
    assert.equal(cycles.length, 30);
    assert.ok(cycles.every((c) => c.ok && c.tenants.length === 2));
    const started = cycles.map((c) => Date.parse(c.startedAt));
    assert.equal(started[1]! - started[0]!, 5 * MINUTE, 'cycles start every cycle interval');
    assert.ok(
      cycles.some((c) => c.tenants.every((t) => t.reconciled)),
      'reconciliation every 15 minutes',
    );

    const now = clock.now();
    for (const t of tenants) {
      const state = store.getCheckpoint<{ fastUntil: number }>(t.tenantId, 'collector')!;
      assert.ok(now - state.fastUntil <= 10 * MINUTE, 'lag stays within delay + cycle interval');
      // Between two reconciliations the store may trail Graph by the changes of the last 15 minutes only.
      const stored = storedRows(store, t.tenantId);
      const expected = expectedRows(t, since, state.fastUntil, now);
      assert.ok(
        [...stored.keys()].every((k) => expected.has(k)),
        'only rows Graph has',
      );
      const same = [...expected].filter(([k, status]) => stored.get(k) === status).length;
      assert.ok(same >= 0.97 * expected.size, `${same} of ${expected.size} rows current`);
      const events = [...sink.events.values()].filter((e) => e.tenant === t.tenantId);
      assert.ok(events.length > 0);
      assert.ok(events.every((e) => e.ecs.cloud.account.id === t.tenantId));
    }
    const usage = collector.quotaUsage();
    for (const t of tenants) {
      const u = usage[t.tenantId]!;
      assert.ok(u.requestsLastHour > 0);
      assert.ok(u.fractionOfBudget < 0.1, `steady state uses a small fraction (${u.fractionOfBudget})`);
    }
    assert.equal(
      store.listRuns({ kind: 'collect', limit: 100 }).length,
      60,
      'one run record per tenant cycle',
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    store.close();
    await sim.close();
  }
});
