// A real simulator (HTTPS on 127.0.0.1, stepped clock), a real Graph client and a real store in os.tmpdir(),
// wired for collector tests; plus the oracle: what the tenant's message trace says at a given instant.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import type { Clock } from '../../src/graph/types.ts';
import { ControllableClock, steppedClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import type { FaultConfig } from '../../src/simulator/http-types.ts';
import type { SimTraceRow, Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import type { Sink, SinkAck, SinkEvent, SinkHealth } from '../../src/sinks/types.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { ecsEventId } from '../../src/trace/ecs.ts';
import type { CollectorTenant } from '../../src/trace/tenant-collector.ts';

export const ANCHOR = '2026-03-02T12:00:00Z';

// Stepped time lives beside the simulator's clock, shared with the benchmarks.
export { steppedClock };

export interface Harness {
  sim: Simulator;
  tenant: Tenant;
  clock: Clock;
  dir: string;
  storePath: string;
  store: Store;
  client: GraphClient;
  collectorTenant(): CollectorTenant;
  reopenStore(): Store;
  close(): Promise<void>;
}

export async function startHarness(
  options: { seed?: number; users?: number; perUserPerDay?: number; faults?: Partial<FaultConfig> } = {},
): Promise<Harness> {
  const tenant = generateTenant({
    users: options.users ?? 30,
    days: 3,
    seed: options.seed ?? 7,
    anchor: ANCHOR,
    messagesPerUserPerDay: options.perUserPerDay ?? 6,
    futureHours: 2,
    campaignRecipients: 15,
  });
  const simClock = new ControllableClock(ANCHOR, 0);
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency: 'zero',
    clock: simClock,
    faults: { exempt: /oauth2/, ...options.faults },
  });
  const clock = steppedClock(simClock);
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-collector-'));
  const storePath = join(dir, 'store.db');
  const app = tenant.apps[0]!;
  const harness: Harness = {
    sim,
    tenant,
    clock,
    dir,
    storePath,
    store: openStore(storePath, { now: () => simClock.nowMs() }),
    client: undefined as unknown as GraphClient,
    collectorTenant: () => ({
      tenantId: tenant.tenantId,
      name: tenant.displayName,
      acceptedDomains: tenant.domains,
      send: harness.client.send,
    }),
    reopenStore: () => {
      void harness.client.close();
      harness.store = openStore(storePath, { now: () => simClock.nowMs() });
      harness.client = makeClient();
      return harness.store;
    },
    close: async () => {
      await harness.client.close();
      try {
        harness.store.close();
      } catch {
        // Already closed by the test (a simulated crash); nothing left to release.
      }
      await sim.close();
    },
  };
  const makeClient = () =>
    createGraphClient({
      tenantId: tenant.tenantId,
      clientId: app.clientId,
      credential: { clientSecret: app.secrets[0]!.value },
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caPem: sim.caCertPem,
      clock,
      quotaLedger: harness.store.quotaLedger(),
      random: () => 0.5,
    });
  harness.client = makeClient();
  return harness;
}

/** The status Graph v1.0 shows for a row at `nowMs` (the collector opts in to `recalled` with its Prefer header). */
export function statusAt(row: SimTraceRow, nowMs: number): string {
  let status = row.statusTimeline[0]!.status as string;
  for (const step of row.statusTimeline) if (Date.parse(step.from) <= nowMs) status = step.status;
  return status;
}

/** Rows received in [fromMs, untilMs] and visible at nowMs, keyed like the store: trace id + recipient. */
export function expectedRows(
  tenant: Tenant,
  fromMs: number,
  untilMs: number,
  nowMs: number,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const row of tenant.traces) {
    const t = Date.parse(row.receivedDateTime);
    if (t < fromMs || t > untilMs || Date.parse(row.visibleFrom) > nowMs) continue;
    out.set(`${row.id}|${row.recipientAddress.toLowerCase()}`, statusAt(row, nowMs));
  }
  return out;
}

export function finalEventIds(tenant: Tenant, fromMs: number, untilMs: number, nowMs: number): Set<string> {
  const ids = new Set<string>();
  for (const row of tenant.traces) {
    const t = Date.parse(row.receivedDateTime);
    if (t < fromMs || t > untilMs || Date.parse(row.visibleFrom) > nowMs) continue;
    ids.add(ecsEventId({ id: row.id, recipientAddress: row.recipientAddress, status: statusAt(row, nowMs) }));
  }
  return ids;
}

export function storedRows(store: Store, tenant: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of store.queryTraceRows({ tenant, limit: 1_000_000 })) {
    out.set(`${r.row.id}|${r.row.recipientAddress.toLowerCase()}`, r.status);
  }
  return out;
}

/** event.id of every line of an NDJSON file, in order (duplicates kept). */
export function ndjsonEventIds(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  if (text === '') return [];
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (JSON.parse(line) as { event: { id: string } }).event.id);
}

/** An idempotent in-memory sink (a keyed store), optionally failing its first `failWrites` writes. */
export class MemorySink implements Sink {
  readonly name: string;
  readonly events = new Map<string, SinkEvent>();
  writes = 0;
  failWrites: number;
  beforeAck: (() => void) | undefined;

  constructor(name = 'memory', failWrites = 0) {
    this.name = name;
    this.failWrites = failWrites;
  }

  async write(batch: readonly SinkEvent[]): Promise<SinkAck> {
    this.writes++;
    if (this.failWrites > 0) {
      this.failWrites--;
      return {
        acknowledged: [],
        failed: batch.map((e) => ({ key: e.key, reason: 'intake unavailable (test)', retryable: true })),
        dropped: [],
      };
    }
    for (const e of batch) this.events.set(e.key, e);
    this.beforeAck?.();
    return { acknowledged: batch.map((e) => e.key), failed: [], dropped: [] };
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  async healthcheck(): Promise<SinkHealth> {
    return { ok: this.failWrites === 0, detail: `${this.events.size} events` };
  }
}
