// Measures tenant generation, saving and loading at scale (default: 50,000 users x 7 days) and prints figures.
// Usage: node --expose-gc bench/generate.ts [users] [days]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTenant } from '../src/simulator/generate.ts';
import { loadTenant, saveTenant } from '../src/simulator/tenant-file.ts';

export interface GenerateBenchFigures {
  users: number;
  days: number;
  traces: number;
  copies: number;
  generateMs: number;
  /** Heap held by the generated tenant (after a GC when --expose-gc is given). */
  heapMb: number;
  peakRssMb: number;
  saveMs: number;
  fileMb: number;
  loadMs: number;
}

const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

export function benchGenerate(users = 50_000, days = 7): GenerateBenchFigures {
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const tenant = generateTenant({ users, days, seed: 20260115, anchor: '2026-01-15T10:00:00Z' });
  const generateMs = Math.round(performance.now() - started);
  collect();
  const heapMb = mb(process.memoryUsage().heapUsed - heapBefore);

  const directory = mkdtempSync(join(tmpdir(), 'mailtrace-bench-'));
  try {
    const path = join(directory, 'tenant.json');
    started = performance.now();
    saveTenant(tenant, path);
    const saveMs = Math.round(performance.now() - started);
    started = performance.now();
    const loaded = loadTenant(path);
    const loadMs = Math.round(performance.now() - started);
    if (loaded.traces.length !== tenant.traces.length) throw new Error('reloaded tenant lost rows');
    return {
      users,
      days,
      traces: tenant.traces.length,
      copies: tenant.copies.length,
      generateMs,
      heapMb,
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
      saveMs,
      fileMb: mb(statSync(path).size),
      loadMs,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const [users, days] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(benchGenerate(users || undefined, days || undefined), null, 2));
}
