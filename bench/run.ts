// `npm run bench`: every benchmark, one after another, each in its own process so that one's heap and sockets do
// not disturb the next. Each script prints its table, merges its figures into bench/results.json and rewrites
// its own section of docs/benchmarks.md. Usage: node bench/run.ts [name ...] (default: all).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS: { name: string; script: string; args?: string[]; nodeFlags?: string[] }[] = [
  { name: 'generate', script: 'generate.ts', nodeFlags: ['--expose-gc'] },
  { name: 'simulator', script: 'simulator-throughput.ts' },
  { name: 'simulator-router', script: 'simulator-router.ts' },
  { name: 'graph-client', script: 'graph-client.ts' },
  { name: 'collector', script: 'collector.ts', nodeFlags: ['--expose-gc'] },
  { name: 'investigate', script: 'investigate.ts' },
  { name: 'startup', script: 'startup.ts' },
];

const wanted = new Set(process.argv.slice(2));
const unknown = [...wanted].filter((w) => !BENCHMARKS.some((b) => b.name === w));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark: ${unknown.join(', ')}; choose from ${BENCHMARKS.map((b) => b.name).join(', ')}\n`,
  );
  process.exit(2);
}

let failed = 0;
for (const bench of BENCHMARKS) {
  if (wanted.size > 0 && !wanted.has(bench.name)) continue;
  process.stdout.write(`\n=== ${bench.name} (bench/${bench.script}) ===\n`);
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [
      ...(bench.nodeFlags ?? []),
      fileURLToPath(new URL(bench.script, import.meta.url)),
      ...(bench.args ?? []),
    ],
    { stdio: 'inherit' },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed++;
    process.stdout.write(
      `=== ${bench.name} FAILED (exit ${result.status ?? result.signal}) after ${seconds} s ===\n`,
    );
  } else {
    process.stdout.write(`=== ${bench.name} done in ${seconds} s ===\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
