// Child-process entry shared by the kill tests and the collector benchmark: a collection wired exactly as
// `mailtrace collect` wires it (openCollectSession, with the config file's sinks and, optionally, an NDJSON file),
// on a clock that follows the parent's simulator (followClock). `daemon` runs until killed; `once` runs one cycle
// and prints `{report, sinks}` as JSON on stdout.
// On stderr, for the parent: `owed {sink: [keys]}` at start (what the outbox still owes each sink: the only
// events a restart may send a sink again), `child: skipped N` after each NDJSON write that recognised lines a
// killed run had already written, and `mem {...}` samples when asked. Kill points are armed by the parent through
// MAILTRACE_FAILPOINTS (src/core/failpoints.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCollectSession } from '../../src/cli/collect-session.ts';
import { loadConfigFile } from '../../src/cli/config.ts';
import { type FollowedClock, followClock } from '../../src/simulator/clock.ts';
import { ResumingNdjsonSink } from '../../src/sinks/ndjson-resume.ts';
import { openStore } from '../../src/store/index.ts';
import type { Tenant } from '../../src/simulator/model.ts';
import type { CycleReport } from '../../src/trace/collector.ts';
import { readOutbox } from '../../src/trace/outbox.ts';

export const COLLECT_CHILD = new URL('./collect-child.ts', import.meta.url).pathname;

export interface CollectChildSpec extends FollowedClock {
  mode: 'daemon' | 'once';
  configPath: string;
  storePath: string;
  /** An NDJSON file besides (or instead of) the config file's sinks, as `collect --ndjson FILE`. */
  ndjsonPath?: string;
  since: number;
  delayMs: number;
  trailingWindowMs: number;
  cycleIntervalMs: number;
  reconcileIntervalMs: number;
  maxWindowMs: number;
  pageSize: number;
  /** Print `mem {"events","rss","heapUsed"}` on stderr this often (the collector benchmark's memory curve). */
  sampleMemoryMs?: number;
}

export interface CollectChildResult {
  report: CycleReport;
  sinks: Record<string, unknown>;
}

/**
 * Writes what a child reads: the tenant's client secret (`client.secret`, 0600) and `mailtrace.json` naming the
 * simulator as authority and Graph, with `sinks` if given (paths in it are relative to `dir`). Returns its path.
 */
export function writeChildConfig(
  dir: string,
  tenant: Tenant,
  sim: { url: string; caCertPath: string },
  options: { name?: string; sinks?: unknown[] } = {},
): string {
  const app = tenant.apps.find((a) => a.roles.includes('ExchangeMessageTrace.Read.All')) ?? tenant.apps[0]!;
  writeFileSync(join(dir, 'client.secret'), app.secrets[0]!.value, { mode: 0o600 });
  const path = join(dir, 'mailtrace.json');
  const tenantConfig = {
    name: options.name ?? 'contoso',
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    clientSecretFile: 'client.secret',
    authorityHost: sim.url,
    graphEndpoint: sim.url,
    caFile: sim.caCertPath,
    domains: [tenant.domains[0]],
  };
  const config = { version: 1, tenants: [tenantConfig], ...(options.sinks ? { sinks: options.sinks } : {}) };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function owedBySink(storePath: string, tenantIds: readonly string[]): Record<string, string[]> {
  const store = openStore(storePath);
  try {
    const owed: Record<string, string[]> = {};
    for (const entry of tenantIds.flatMap((t) => readOutbox(store, t)))
      for (const sink of entry.sinks) owed[sink] = [...(owed[sink] ?? []), entry.key];
    return owed;
  } finally {
    store.close();
  }
}

/** The `owed {…}` line a child printed at start. */
export function owedAtStart(stderr: string): Record<string, string[]> {
  const line = /^owed (.*)$/m.exec(stderr)?.[1];
  return line ? (JSON.parse(line) as Record<string, string[]>) : {};
}

async function main(spec: CollectChildSpec): Promise<void> {
  const config = loadConfigFile(spec.configPath);
  const tenantIds = config.tenants.map((t) => t.tenantId);
  process.stderr.write(`owed ${JSON.stringify(owedBySink(spec.storePath, tenantIds))}\n`);
  const session = openCollectSession({
    tenants: config.tenants,
    storePath: spec.storePath,
    ...(config.sinks ? { sinks: config.sinks } : {}),
    ...(spec.ndjsonPath !== undefined ? { ndjson: spec.ndjsonPath } : {}),
    since: spec.since,
    clock: followClock(spec),
    settings: {
      delayMs: spec.delayMs,
      trailingWindowMs: spec.trailingWindowMs,
      cycleIntervalMs: spec.cycleIntervalMs,
    },
    collector: {
      reconcileIntervalMs: spec.reconcileIntervalMs,
      maxWindowMs: spec.maxWindowMs,
      pageSize: spec.pageSize,
    },
  });
  // Reported after every write, not every cycle: a run killed mid-cycle must still say what it skipped.
  for (const sink of session.sinks) {
    if (!(sink instanceof ResumingNdjsonSink)) continue;
    const write = sink.write.bind(sink);
    sink.write = async (batch, options) => {
      const ack = await write(batch, options);
      if (sink.skipped > 0) process.stderr.write(`child: skipped ${sink.skipped}\n`);
      return ack;
    };
  }
  const sampler =
    spec.sampleMemoryMs === undefined
      ? undefined
      : setInterval(() => {
          const { rss, heapUsed } = process.memoryUsage();
          const events = session.sinks[0]?.metrics?.acknowledged ?? 0;
          process.stderr.write(`mem ${JSON.stringify({ events, rss, heapUsed })}\n`);
        }, spec.sampleMemoryMs);
  try {
    if (spec.mode === 'daemon') {
      await session.collector.run(new AbortController().signal);
      return;
    }
    const report = await session.collector.runOnce();
    process.stdout.write(`${JSON.stringify({ report, sinks: session.collector.sinkMetrics() })}\n`);
  } finally {
    if (sampler) clearInterval(sampler);
    await session.close();
  }
}

if (import.meta.main) await main(JSON.parse(process.argv[2] ?? '{}') as CollectChildSpec);
