// Store upsert throughput: `node bench/store.ts [rows] [batch]`. Target ≥ 50,000 rows/s. Measures three passes
// over one on-disk store: all rows new, all rows seen again unchanged, and every row changing status.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/index.ts';
import type { TraceRow } from '../src/trace/model.ts';

const count = Number(process.argv[2] ?? 200_000);
const batch = Number(process.argv[3] ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'mailtrace-bench-store-'));
const store = openStore(join(dir, 'store.db'));

function makeRows(status: string): TraceRow[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${(i >> 2).toString(16).padStart(8, '0')}-9d8e-4b7b-a2c0-0a1b2c3d4e5f`,
    messageId: `<${i >> 2}.d9683b4c@fabrikam.com>`,
    senderAddress: `sender${i % 977}@fabrikam.com`,
    recipientAddress: `User${i % 4}.${i % 5000}@contoso.com`,
    receivedDateTime: new Date(Date.UTC(2026, 0, 20) + i * 1000).toISOString().slice(0, 19) + 'Z',
    subject: `Quarterly report ${i >> 2}`,
    size: 1000 + (i % 100_000),
    fromIP: '203.0.113.7',
    toIP: '',
    status,
  }));
}

function pass(name: string, rows: TraceRow[]): void {
  let changes = 0;
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < rows.length; i += batch) {
    changes += store.upsertTraceRows('tenant-a', rows.slice(i, i + batch), new Date().toISOString()).length;
  }
  const seconds = (performance.now() - started) / 1000;
  // CPU time too: on a shared machine wall time measures the neighbours as much as the store.
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    JSON.stringify({
      bench: `store.upsert.${name}`,
      rows: rows.length,
      batch,
      changes,
      seconds: +seconds.toFixed(3),
      rowsPerSecond: Math.round(rows.length / seconds),
      rowsPerCpuSecond: Math.round(rows.length / cpuSeconds),
    }),
  );
}

try {
  pass('new', makeRows('pending'));
  pass('unchanged', makeRows('Pending'));
  pass('statusChanged', makeRows('delivered'));
  const started = performance.now();
  const found = store.queryTraceRows({ tenant: 'tenant-a', messageId: '<77.d9683b4c@fabrikam.com>' });
  console.log(
    JSON.stringify({
      bench: 'store.query.messageId',
      found: found.length,
      ms: +(performance.now() - started).toFixed(2),
    }),
  );
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
