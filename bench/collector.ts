// Collector benchmark: `node bench/collector.ts [totalRows=1000000]`.
//   1. normalization rows/s (toEcs, one core) and store rows/s (upsert, all new);
//   2. end-to-end rows/s and memory: a simulator in this process (time ×600, so the 100 / 5 min budget is no
//      bottleneck) and the collector in a child process wired like `mailtrace collect` (store + NDJSON), sampling
//      its RSS and heap while it collects `totalRows`; the curve's maximum is reported at 25/50/100 %;
//   3. steady-state quota: one simulated day of 5-minute cycles (stepped clock, in process) against a
//      10,000-user tenant, as requests per day and as a fraction of the 100 / 5 min budget.
// Prints a table, merges "collector" into bench/results.json and rewrites the "## Collector" section of
// docs/benchmarks.md.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGraphClient } from '../src/graph/client.ts';
import { ControllableClock } from '../src/simulator/clock.ts';
import { generateTenant } from '../src/simulator/generate.ts';
import { createGraphRouter } from '../src/simulator/resources/index.ts';
import { startSimulator } from '../src/simulator/server.ts';
import { openStore } from '../src/store/index.ts';
import { Collector } from '../src/trace/collector.ts';
import { toEcs } from '../src/trace/ecs.ts';
import type { TraceRow } from '../src/trace/model.ts';
import { steppedClock } from '../src/simulator/clock.ts';
import { COLLECT_CHILD, type CollectChildSpec, writeChildConfig } from './lib/collect-child.ts';
import { writeDocSection } from './lib/doc-section.ts';
import { table } from './lib/format.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { mergeResults } from './lib/results.ts';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const DAY = 86_400_000;
const MINUTE = 60_000;

function syntheticRows(count: number, status = 'delivered'): TraceRow[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${(i >> 2).toString(16).padStart(8, '0')}-9d8e-4b7b-a2c0-0a1b2c3d4e5f`,
    messageId: `<${i}.d9683b4c@fabrikam.com>`,
    senderAddress: `sender${i % 977}@fabrikam.com`,
    recipientAddress: `user${i % 4}.${i % 5000}@contoso.com`,
    receivedDateTime: `${new Date(Date.UTC(2026, 0, 20) + i * 1000).toISOString().slice(0, 19)}Z`,
    subject: `Quarterly report ${i}`,
    size: 1000 + (i % 100_000),
    fromIP: '203.0.113.7',
    toIP: '',
    status,
  }));
}

function normalization(count = 200_000): number {
  const rows = syntheticRows(count);
  const context = { tenantId: 't', acceptedDomains: ['contoso.com'] };
  for (let i = 0; i < 20_000; i++) toEcs(rows[i]!, context);
  const started = performance.now();
  let bytes = 0;
  for (const row of rows) bytes += toEcs(row, context).network.bytes;
  if (bytes === 0) throw new Error('unexpected: no bytes');
  return Math.round(count / ((performance.now() - started) / 1000));
}

function storeUpsert(count = 200_000): number {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-bench-collector-store-'));
  const store = openStore(join(dir, 'store.db'));
  try {
    const rows = syntheticRows(count);
    const started = performance.now();
    for (let i = 0; i < rows.length; i += 5000)
      store.upsertTraceRows('t', rows.slice(i, i + 5000), new Date().toISOString());
    return Math.round(count / ((performance.now() - started) / 1000));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface MemorySample {
  events: number;
  rss: number;
  heapUsed: number;
}

async function endToEnd(total: number) {
  // 10 days of traffic from 10,000 mailboxes at the rate that gives `total` rows.
  const users = 10_000;
  const days = 10;
  const anchor = Date.parse('2026-03-02T12:00:00Z');
  const tenant = generateTenant({
    users,
    days,
    seed: 5,
    anchor: new Date(anchor),
    messagesPerUserPerDay: total / users / days,
    futureHours: 0,
  });
  const rows = tenant.traces.filter((r) => Date.parse(r.receivedDateTime) >= anchor - days * DAY).length;
  const clock = new ControllableClock(anchor + 2 * 3_600_000, 600, Date.now);
  const sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency: 'zero', clock });
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-bench-collector-'));
  try {
    const configPath = writeChildConfig(dir, tenant, sim, { name: 'bench' });
    const realBaseMs = Date.now();
    const spec: CollectChildSpec & { ndjsonPath: string } = {
      mode: 'once',
      configPath,
      storePath: join(dir, 'store.sqlite'),
      ndjsonPath: join(dir, 'events.ndjson'),
      since: anchor - days * DAY,
      simBaseMs: clock.nowMs(),
      realBaseMs,
      scale: 600,
      delayMs: 5 * MINUTE,
      trailingWindowMs: 2 * DAY,
      cycleIntervalMs: 5 * MINUTE,
      // No reconciliation: this measures one pass over every row.
      reconcileIntervalMs: 365 * DAY,
      maxWindowMs: 10 * DAY,
      pageSize: 5000,
      sampleMemoryMs: 250,
    };
    const samples: MemorySample[] = [];
    const started = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [COLLECT_CHILD, JSON.stringify(spec)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let buffer = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        buffer += d;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines)
          if (line.startsWith('mem ')) samples.push(JSON.parse(line.slice(4)) as MemorySample);
          else if (line.trim() !== '' && !line.startsWith('child:') && !line.startsWith('owed ')) process.stderr.write(`${line}\n`);
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`collector child exited with ${code}`);
    const store = openStore(spec.storePath);
    const stored = store.stats(tenant.tenantId).rows;
    store.close();
    const maxUpTo = (fraction: number, key: 'rss' | 'heapUsed') =>
      Math.max(0, ...samples.filter((s) => s.events <= stored * fraction).map((s) => s[key]));
    const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    return {
      rowsInTenant: rows,
      rowsStored: stored,
      seconds: Math.round(seconds * 10) / 10,
      rowsPerSecond: Math.round(stored / seconds),
      ndjsonMb: mb(statSync(spec.ndjsonPath).size),
      memoryMb: Object.fromEntries(
        [0.25, 0.5, 1].map((f) => [
          `at${Math.round(stored * f)}`,
          { rssMax: mb(maxUpTo(f, 'rss')), heapUsedMax: mb(maxUpTo(f, 'heapUsed')) },
        ]),
      ),
      samples: samples.length,
    };
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One simulated steady-state period of 5-minute cycles (15-minute reconciliation over 48 h), scaled to a day. */
async function steadyStateQuota(hours = 6) {
  const anchor = Date.parse('2026-03-02T12:00:00Z');
  const tenant = generateTenant({
    users: 10_000,
    days: 3,
    seed: 9,
    anchor: new Date(anchor),
    futureHours: hours + 1,
  });
  const simClock = new ControllableClock(anchor, 0);
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency: 'zero',
    clock: simClock,
  });
  const clock = steppedClock(simClock);
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-bench-quota-'));
  const store = openStore(join(dir, 'store.db'), { now: () => simClock.nowMs() });
  const app = tenant.apps.find((a) => a.roles.includes('ExchangeMessageTrace.Read.All')) ?? tenant.apps[0]!;
  const client = createGraphClient({
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    credential: { clientSecret: app.secrets[0]!.value },
    authorityHost: sim.url,
    graphEndpoint: sim.url,
    caPem: sim.caCertPem,
    clock,
    quotaLedger: store.quotaLedger(),
  });
  try {
    const collector = new Collector({
      store,
      sinks: [],
      tenants: [{ tenantId: tenant.tenantId, acceptedDomains: tenant.domains, send: client.send }],
      clock,
      recordRuns: false,
    });
    // Warm-up: the first cycle reads the initial 48 h; steady state is what follows.
    await collector.runOnce();
    let requests = 0;
    let peakPerWindow = 0;
    const end = clock.now() + hours * 3_600_000;
    while (clock.now() < end) {
      const started = clock.now();
      const report = await collector.runOnce();
      requests += report.tenants[0]!.requests;
      peakPerWindow = Math.max(
        peakPerWindow,
        store.quotaLedger().used(tenant.tenantId, 'messageTrace', clock.now()),
      );
      await clock.sleep(Math.max(0, started + 5 * MINUTE - clock.now()));
    }
    const perDay = Math.round((requests * 24) / hours);
    return {
      users: 10_000,
      rowsPerDay: Math.round(tenant.traces.length / 3),
      simulatedHours: hours,
      requestsPerDay: perDay,
      budgetPerDay: 100 * 288,
      fractionOfBudget: Math.round((perDay / (100 * 288)) * 10_000) / 10_000,
      peakRequestsIn5Min: peakPerWindow,
    };
  } finally {
    await client.close();
    store.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const machine = machineFacts();
const normalizationRate = normalization();
const storeRate = storeUpsert();
const e2e = await endToEnd(TOTAL);
const quota = await steadyStateQuota();
const memoryRows = Object.entries(e2e.memoryMb).map(([at, m]) => [
  `peak memory up to ${at.slice(2)} rows (RSS / heap MB)`,
  `${m.rssMax} / ${m.heapUsedMax}`,
]);
const rows: [string, string | number][] = [
  ['normalization (toEcs), rows/s', normalizationRate],
  ['store upsert (new rows), rows/s', storeRate],
  [`end to end (simulator → collector → store + NDJSON), rows/s`, e2e.rowsPerSecond],
  ['rows collected end to end', e2e.rowsStored],
  ...(memoryRows as [string, string][]),
  ['steady state, requests per day (10,000 users)', quota.requestsPerDay],
  ['steady state, fraction of the 100 / 5 min budget', `${(quota.fractionOfBudget * 100).toFixed(2)} %`],
  ['steady state, busiest 5 min (requests)', quota.peakRequestsIn5Min],
];
const text = table(['figure', 'value'], rows);
console.log(describeMachine(machine));
console.log(text);

mergeResults('collector', {
  machine,
  normalizationRowsPerSecond: normalizationRate,
  storeRowsPerSecond: storeRate,
  endToEnd: e2e,
  steadyStateQuota: quota,
});

const section = [
  '## Collector',
  '',
  `\`node bench/collector.ts ${TOTAL}\` on ${describeMachine(machine)}.`,
  '',
  '```',
  text,
  '```',
  '',
  'End to end: a simulator in the bench process (zero latency, time ×600 so that the budget is not the limit) and ',
  'the collector in a child process wired exactly like `mailtrace collect`, with a store and an NDJSON file. ',
  'Memory is sampled every 250 ms in the child; the maximum up to each point of the run shows whether it grows ',
  'with the rows collected (each page is stored and delivered before the next is read). Steady state: 5-minute ',
  `cycles with a 15-minute reconciliation of the trailing 48 h, over ${quota.simulatedHours} simulated hours, `,
  `for a 10,000-user tenant with about ${quota.rowsPerDay.toLocaleString('en-US')} rows a day.`,
  '',
].join('\n');
writeDocSection('## Collector', section);
