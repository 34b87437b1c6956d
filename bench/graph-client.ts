// Graph client benchmarks against the simulator (in this process, over real HTTPS on 127.0.0.1):
//  1. client overhead: plain GETs through the full client (retry, auth, quota, limiters, transport, logging off)
//     against the zero-latency simulator, versus raw undici fetch of the same URLs with the same token;
//  2. the 10,000-mailbox $batch probe with the default (realistic) latency model, against its lower bound.
// Usage: node bench/graph-client.ts [mailboxes=10000]. Prints tables; merges figures into bench/results.json.
import { Agent, fetch } from 'undici';
import { type BatchItem, batch } from '../src/graph/batch.ts';
import { createGraphClient, type GraphClient } from '../src/graph/client.ts';
import type { Send } from '../src/graph/types.ts';
import { generateTenant } from '../src/simulator/generate.ts';
import { REALISTIC_LATENCY, sampleLatencyMs } from '../src/simulator/latency.ts';
import type { Tenant } from '../src/simulator/model.ts';
import { createGraphRouter } from '../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../src/simulator/server.ts';
import { table } from './lib/format.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { mergeResults } from './lib/results.ts';
import { mean, measureRate, median, round } from './lib/timing.ts';

const MAILBOXES = Number(process.argv[2] ?? 10_000);
const OVERHEAD_REQUESTS = 4000;
const OVERHEAD_ROUNDS = 3;
/** The client's default global in-flight cap; raw fetch gets the same so both see the same server load. */
const OVERHEAD_CONCURRENCY = 16;
const BATCH_SIZE = 20;

interface Rig {
  tenant: Tenant;
  sim: Simulator;
  client: GraphClient;
}

async function startRig(users: number, latency: 'zero' | 'realistic'): Promise<Rig> {
  const tenant = generateTenant({ users, days: 1, seed: 42, messagesPerUserPerDay: 0 });
  const sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency });
  const app = tenant.apps[0]!;
  const secret = app.secrets.find((s) => Date.parse(s.expiresAt) > sim.clock.nowMs());
  if (!secret) throw new Error('the generated app has no valid secret');
  const client = createGraphClient({
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    credential: { clientSecret: secret.value },
    authorityHost: sim.url,
    graphEndpoint: sim.url,
    caPem: sim.caCertPem,
    env: {},
  });
  return { tenant, sim, client };
}

async function stopRig(rig: Rig): Promise<void> {
  await rig.client.close();
  await rig.sim.close();
}

function inboxPath(userId: string): string {
  return `/users/${userId}/mailFolders/inbox?$select=id`;
}

function searchableIds(tenant: Tenant): string[] {
  return tenant.users
    .filter((u) => u.mailbox === 'exchangeOnline' && !u.excludedByAccessPolicy && !u.unresolvable)
    .map((u) => u.id);
}

async function benchOverhead() {
  const rig = await startRig(500, 'zero');
  const ids = searchableIds(rig.tenant);
  const token = (await rig.client.tokens.getToken()).token;
  const raw = new Agent({ connect: { ca: rig.sim.caCertPem } });
  const viaClient = (i: number) => rig.client.send({ method: 'GET', url: inboxPath(ids[i % ids.length]!) });
  const viaFetch = async (i: number) => {
    const response = await fetch(`${rig.sim.url}/v1.0${inboxPath(ids[i % ids.length]!)}`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher: raw,
    });
    if (response.status !== 200) throw new Error(`raw fetch got ${response.status}`);
    await response.json();
  };
  try {
    // Warm both paths (TLS sessions, JIT) before timing; then alternate so drift hits both alike.
    await measureRate(500, OVERHEAD_CONCURRENCY, viaClient);
    await measureRate(500, OVERHEAD_CONCURRENCY, viaFetch);
    const clientRates: number[] = [];
    const fetchRates: number[] = [];
    for (let round = 0; round < OVERHEAD_ROUNDS; round++) {
      clientRates.push((await measureRate(OVERHEAD_REQUESTS, OVERHEAD_CONCURRENCY, viaClient)).perSecond);
      fetchRates.push((await measureRate(OVERHEAD_REQUESTS, OVERHEAD_CONCURRENCY, viaFetch)).perSecond);
    }
    const clientPerSecond = median(clientRates);
    const fetchPerSecond = median(fetchRates);
    return {
      requests: OVERHEAD_REQUESTS,
      rounds: OVERHEAD_ROUNDS,
      concurrency: OVERHEAD_CONCURRENCY,
      clientPerSecond,
      rawFetchPerSecond: fetchPerSecond,
      clientRates,
      rawFetchRates: fetchRates,
      /** One process does both ends, so the difference in time per request is the client's own CPU cost. */
      clientOverheadMicrosecondsPerRequest: round((1 / clientPerSecond - 1 / fetchPerSecond) * 1e6, 1),
      simulatorStatuses: rig.sim.stats.byStatus,
    };
  } finally {
    await raw.close();
    await stopRig(rig);
  }
}

/**
 * Mean latency of one $batch of 20 one-mailbox GETs under the realistic model: the envelope's own latency plus
 * the slowest of its 20 items (items of different mailboxes run at once). Estimated by sampling the model.
 */
function modelBatchLatencyMs(samples = 200_000): number {
  let total = 0;
  for (let s = 0; s < samples; s++) {
    let slowest = 0;
    for (let i = 0; i < BATCH_SIZE; i++) {
      slowest = Math.max(slowest, sampleLatencyMs(REALISTIC_LATENCY, 'mailFolders', Math.random));
    }
    total += sampleLatencyMs(REALISTIC_LATENCY, 'batch', Math.random) + slowest;
  }
  return total / samples;
}

/** ceil(N / (20·B)) rounds of B full batches in flight, each taking L on average. */
function lowerBoundSeconds(mailboxes: number, batchesInFlight: number, batchLatencyMs: number): number {
  return (Math.ceil(mailboxes / (BATCH_SIZE * batchesInFlight)) * batchLatencyMs) / 1000;
}

async function benchProbe(batchesInFlight: number, modelLatencyMs: number) {
  const rig = await startRig(MAILBOXES, 'realistic');
  try {
    await rig.client.tokens.getToken(); // the one token round trip is not part of the probe
    const batchLatencies: number[] = [];
    const timedSend = (async (request) => {
      const started = performance.now();
      try {
        return await rig.client.send(request);
      } finally {
        batchLatencies.push(performance.now() - started);
      }
    }) as Send;
    const items: BatchItem[] = rig.tenant.users.map((u) => ({
      id: u.id,
      method: 'GET',
      url: inboxPath(u.id),
    }));
    rig.sim.stats.reset();
    const started = performance.now();
    let settled = 0;
    let found = 0;
    for await (const result of batch(timedSend, items, {
      limiter: rig.client.mailboxLimiter,
      concurrency: batchesInFlight,
    })) {
      settled++;
      if (result.ok) found++;
    }
    const seconds = (performance.now() - started) / 1000;
    if (settled !== items.length) throw new Error(`${settled} of ${items.length} mailboxes settled`);
    const stats = rig.sim.stats;
    const httpRequests = stats.totalRequests;
    const observedLatencyMs = mean(batchLatencies);
    return {
      mailboxes: items.length,
      batchesInFlight,
      seconds: round(seconds, 2),
      mailboxesPerSecond: Math.round(items.length / seconds),
      found,
      graphHttpRequests: httpRequests,
      subRequests: stats.batchItems,
      httpRequestsPerMailbox: round(httpRequests / items.length, 3),
      subRequestsPerMailbox: round(stats.batchItems / items.length, 3),
      meanBatchLatencyMs: round(observedLatencyMs, 1),
      modelBatchLatencyMs: round(modelLatencyMs, 1),
      lowerBoundSeconds: round(lowerBoundSeconds(items.length, batchesInFlight, modelLatencyMs), 2),
      lowerBoundObservedLatencySeconds: round(
        lowerBoundSeconds(items.length, batchesInFlight, observedLatencyMs),
        2,
      ),
      violations: stats.violations,
    };
  } finally {
    await stopRig(rig);
  }
}

const machine = machineFacts();
console.log(`# Graph client benchmarks on ${describeMachine(machine)}\n`);

const overhead = await benchOverhead();
console.log(
  table(
    ['path (zero-latency simulator, 16 in flight)', 'requests/s (median)', 'rounds'],
    [
      ['full client: GET mailFolders/inbox', overhead.clientPerSecond, overhead.clientRates.join(' / ')],
      [
        'raw undici fetch, same URL and token',
        overhead.rawFetchPerSecond,
        overhead.rawFetchRates.join(' / '),
      ],
    ],
  ),
);
console.log(
  `client overhead: ${overhead.clientOverheadMicrosecondsPerRequest} µs per request (same process)\n`,
);

const modelLatencyMs = modelBatchLatencyMs();
const probes = [];
for (const batchesInFlight of [4, 16]) probes.push(await benchProbe(batchesInFlight, modelLatencyMs));
console.log(
  table(
    [
      'B',
      'wall s',
      'lower bound s',
      'HTTP requests',
      'sub-requests',
      'HTTP req/mailbox',
      'sub-req/mailbox',
      'mean batch ms',
    ],
    probes.map((p) => [
      p.batchesInFlight,
      p.seconds,
      p.lowerBoundSeconds,
      p.graphHttpRequests,
      p.subRequests,
      p.httpRequestsPerMailbox,
      p.subRequestsPerMailbox,
      p.meanBatchLatencyMs,
    ]),
  ),
);
console.log(
  `${MAILBOXES.toLocaleString('en-US')}-mailbox $batch probe, realistic latency, no faults. ` +
    `Lower bound = ceil(N / (20·B)) · L with L = ${round(modelLatencyMs, 1)} ms, the model's mean latency of a ` +
    '$batch of 20 (envelope + slowest of 20 mailFolders items); B = $batch requests in flight.',
);

mergeResults('graphClient', {
  machine,
  overhead,
  probe: {
    latencyModel: 'realistic',
    lowerBoundFormula: 'ceil(N / (20 * B)) * L, L = mean(batch latency + max of 20 mailFolders latencies)',
    runs: probes,
  },
});
console.log('\nfigures merged into bench/results.json under "graphClient"');
