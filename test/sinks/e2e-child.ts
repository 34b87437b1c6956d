// Child-process entry for the sinks end-to-end test: runs a collection exactly as `mailtrace collect --config`
// wires it (openCollectSession with the config file's `sinks` section: Sekoia, Splunk HEC, Elasticsearch,
// NDJSON), on a clock that follows the test's simulator (sim = simBase + (Date.now() − realBase) × scale).
// At start it prints `owed {sink: [keys]}`: what the outbox still owes each sink, i.e. the only events a
// restart may send a sink a second time. `daemon` runs until killed; `once` prints its cycle report as JSON.
import { openCollectSession } from '../../src/cli/collect-session.ts';
import { loadConfigFile } from '../../src/cli/config.ts';
import type { Clock } from '../../src/graph/types.ts';
import { openStore } from '../../src/store/index.ts';
import { readOutbox } from '../../src/trace/outbox.ts';

export interface E2eChildSpec {
  mode: 'daemon' | 'once';
  configPath: string;
  storePath: string;
  since: number;
  simBaseMs: number;
  realBaseMs: number;
  /** Simulated ms per real ms; 0 = frozen (only for a run that never needs to wait). */
  scale: number;
  delayMs: number;
  trailingWindowMs: number;
  cycleIntervalMs: number;
  reconcileIntervalMs: number;
  maxWindowMs: number;
  pageSize: number;
  /** Added to the child's clock: a process whose clock runs ahead sees another's lease expired (its TTL passed). */
  clockOffsetMs?: number;
}

function scaledClock(spec: E2eChildSpec): Clock {
  return {
    now: () =>
      Math.floor(spec.simBaseMs + (spec.clockOffsetMs ?? 0) + (Date.now() - spec.realBaseMs) * spec.scale),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        signal?.throwIfAborted();
        const real = spec.scale === 0 ? ms : ms / spec.scale;
        setTimeout(resolve, Math.max(0, Math.min(real, 60_000)));
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
}

function owedBySink(spec: E2eChildSpec, tenantIds: readonly string[]): Record<string, string[]> {
  const store = openStore(spec.storePath);
  try {
    const owed: Record<string, string[]> = {};
    for (const entry of tenantIds.flatMap((t) => readOutbox(store, t)))
      for (const sink of entry.sinks) owed[sink] = [...(owed[sink] ?? []), entry.key];
    return owed;
  } finally {
    store.close();
  }
}

async function main(spec: E2eChildSpec): Promise<void> {
  const config = loadConfigFile(spec.configPath);
  process.stderr.write(
    `owed ${JSON.stringify(
      owedBySink(
        spec,
        config.tenants.map((t) => t.tenantId),
      ),
    )}\n`,
  );
  const session = openCollectSession({
    tenants: config.tenants,
    storePath: spec.storePath,
    ...(config.sinks ? { sinks: config.sinks } : {}),
    since: spec.since,
    clock: scaledClock(spec),
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
  try {
    if (spec.mode === 'daemon') {
      await session.collector.run(new AbortController().signal);
      return;
    }
    const report = await session.collector.runOnce();
    process.stdout.write(`${JSON.stringify({ report, sinks: session.collector.sinkMetrics() })}\n`);
  } finally {
    await session.close();
  }
}

await main(JSON.parse(process.argv[2] ?? '{}') as E2eChildSpec);
