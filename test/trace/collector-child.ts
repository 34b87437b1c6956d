// Child-process entry for the kill -9 test: runs a collection exactly as `mailtrace collect` wires it
// (openCollectSession), on a clock that follows the test's simulator (sim = simBase + (Date.now() − realBase) ×
// scale). `daemon` runs until killed; `once` runs one cycle, prints its report as JSON on stdout and exits.
import { openCollectSession } from '../../src/cli/collect-session.ts';
import { loadConfigFile } from '../../src/cli/config.ts';
import type { Clock } from '../../src/graph/types.ts';
import { ResumingNdjsonSink } from '../../src/sinks/ndjson-resume.ts';
import { openStore } from '../../src/store/index.ts';
import { readOutbox } from '../../src/trace/outbox.ts';

export interface ChildSpec {
  mode: 'daemon' | 'once';
  configPath: string;
  storePath: string;
  ndjsonPath: string;
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
  /** Print `mem {"events","rss","heapUsed"}` on stderr this often (the collector benchmark's memory curve). */
  sampleMemoryMs?: number;
}

function scaledClock(spec: ChildSpec): Clock {
  return {
    now: () => Math.floor(spec.simBaseMs + (Date.now() - spec.realBaseMs) * spec.scale),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        signal?.throwIfAborted();
        const real = spec.scale === 0 ? ms : ms / spec.scale;
        setTimeout(resolve, Math.max(0, Math.min(real, 60_000)));
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
}

async function main(spec: ChildSpec): Promise<void> {
  const config = loadConfigFile(spec.configPath);
  // What the last (killed) run left owing to the NDJSON file: the events this start must not duplicate.
  const peek = openStore(spec.storePath);
  const owed = config.tenants
    .flatMap((t) => readOutbox(peek, t.tenantId))
    .filter((e) => e.sinks.includes('ndjson'));
  peek.close();
  process.stderr.write(`child: owed ${owed.length}\n`);
  const session = openCollectSession({
    tenants: config.tenants,
    storePath: spec.storePath,
    ndjson: spec.ndjsonPath,
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
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    if (sampler) clearInterval(sampler);
    await session.close();
  }
}

await main(JSON.parse(process.argv[2] ?? '{}') as ChildSpec);
