// ECS normalization throughput on one core: `node bench/ecs.ts [rows]`. Target ≥ 100,000 rows/s.

import { toEcs } from '../src/trace/ecs.ts';
import type { TraceRow } from '../src/trace/model.ts';

const count = Number(process.argv[2] ?? 200_000);
const statuses = ['delivered', 'Delivered', 'pending', 'filteredAsSpam', 'quarantined', 'failed', 'expanded'];
const rows: TraceRow[] = Array.from({ length: count }, (_, i) => ({
  id: `${(i >> 2).toString(16).padStart(8, '0')}-9d8e-4b7b-a2c0-0a1b2c3d4e5f`,
  messageId: `<${i}.d9683b4c-127b-413a@fabrikam.com>`,
  senderAddress: i % 3 === 0 ? 'adele@contoso.com' : `sender${i % 977}@fabrikam.com`,
  recipientAddress: `user${i % 5000}@contoso.com`,
  receivedDateTime: new Date(Date.UTC(2026, 0, 20) + i * 1000).toISOString().slice(0, 19) + 'Z',
  subject: `Quarterly report ${i}`,
  size: 1000 + (i % 100_000),
  fromIP: i % 2 === 0 ? '203.0.113.7' : '2001:db8::7',
  toIP: i % 5 === 0 ? '198.51.100.4' : '',
  status: statuses[i % statuses.length]!,
}));
const context = { tenantId: '0b5c7e0c-7c38-4e1f-9d4e-6a0e8f7f1a11', acceptedDomains: ['contoso.com'] };

// Warm up the JIT, then measure.
for (let i = 0; i < Math.min(20_000, count); i++) toEcs(rows[i]!, context);
let sink = 0;
const cpuStarted = process.cpuUsage();
const started = performance.now();
for (const row of rows) sink += toEcs(row, context).network.bytes;
const seconds = (performance.now() - started) / 1000;
// CPU time too: on a shared machine wall time measures the neighbours as much as the normalizer.
const cpu = process.cpuUsage(cpuStarted);
console.log(
  JSON.stringify({
    bench: 'ecs.toEcs',
    rows: count,
    seconds: +seconds.toFixed(3),
    rowsPerSecond: Math.round(count / seconds),
    rowsPerCpuSecond: Math.round(count / ((cpu.user + cpu.system) / 1e6)),
  }),
);
if (sink === 0) console.error('unexpected: no bytes');
