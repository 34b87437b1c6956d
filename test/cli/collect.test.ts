import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { collectorLeaseScope } from '../../src/trace/tenant-lease.ts';
import { ndjsonEventIds } from '../trace/collector-harness.ts';
import { type CliHarness, runCli, startCliHarness } from './cli-harness.ts';

const HOUR_MS = 3_600_000;
let h: CliHarness;
before(async () => {
  h = await startCliHarness({ seed: 21, config: { collector: { cycleInterval: '1s' } } });
});
after(() => h.close());

test('collect --once --since 1d fills the store and the NDJSON file; a second run adds no duplicate', async () => {
  const ndjson = join(h.dir, 'once.ndjson');
  const store = join(h.dir, 'once.sqlite');
  const first = await runCli([
    'collect',
    '--once',
    '--config',
    h.configPath,
    '--store',
    store,
    '--since',
    '1d',
    '--ndjson',
    ndjson,
    '-o',
    'json',
  ]);
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as {
    complete: boolean;
    tenants: { rows: number; events: { new: number } }[];
  };
  assert.equal(report.complete, true);
  assert.ok(report.tenants[0]!.events.new > 10, 'rows were collected');

  const second = await runCli([
    'collect',
    '--once',
    '--config',
    h.configPath,
    '--store',
    store,
    '--ndjson',
    ndjson,
    '-o',
    'json',
  ]);
  assert.equal(second.code, 0, second.stderr);
  const db = openStore(store);
  try {
    const stats = db.stats(h.tenant.tenantId);
    const ids = ndjsonEventIds(ndjson);
    assert.equal(new Set(ids).size, ids.length, 'no event written twice');
    assert.equal(ids.length, stats.rows + stats.statusChanges, 'one line per (row, status) in the store');
    assert.equal(db.listRuns({ kind: 'collect' }).length, 2, 'both runs are recorded');
  } finally {
    db.close();
  }
});

test('collect --ndjson - writes ECS documents on stdout and the summary on stderr', async () => {
  const result = await runCli([
    'collect',
    '--once',
    '--config',
    h.configPath,
    '--store',
    join(h.dir, 'stdout.sqlite'),
    '--since',
    '6h',
    '--ndjson',
    '-',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.ok(lines.length > 0);
  for (const line of lines) {
    const doc = JSON.parse(line) as { event: { dataset: string }; email: { message_id: string } };
    assert.equal(doc.event.dataset, 'microsoft.message_trace');
    assert.match(doc.email.message_id, /^<.+>$/);
  }
  assert.match(result.stderr, /collect: contoso ok: \d+ new/);
});

test('collect --once while another process holds the tenant: exit 5, naming the holder, and nothing collected', async () => {
  const storePath = join(h.dir, 'held.sqlite');
  const store = openStore(storePath);
  try {
    // A live process on this host (this test's own pid) holding the tenant: it is not taken over.
    store.acquireLease(
      {
        scope: collectorLeaseScope(h.tenant.tenantId),
        holder: 'elsewhere',
        host: hostname(),
        pid: process.pid,
        ttlMs: HOUR_MS,
      },
      { now: Date.now() },
    );
  } finally {
    store.close();
  }
  const run = await runCli(['collect', '--once', '--config', h.configPath, '--store', storePath, '--since', '1h']);
  assert.equal(run.code, 5, run.stderr);
  assert.match(run.stdout + run.stderr, /held/);
  assert.match(run.stdout + run.stderr, new RegExp(`pid ${process.pid} on ${hostname()}`));
  const db = openStore(storePath);
  try {
    assert.equal(db.stats(h.tenant.tenantId).rows, 0, 'the held tenant was not collected');
  } finally {
    db.close();
  }
});

test('collect --since beyond 90 days is refused with a fix', async () => {
  const result = await runCli(['collect', '--once', '--config', h.configPath, '--since', '120d']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /more than 90 days/);
  assert.match(result.stderr, /fix: .*--since 90d/);
  const bad = await runCli(['collect', '--once', '--config', h.configPath, '--since', 'yesterday']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /neither a duration nor a date/);
});

test('the daemon runs cycles until SIGINT and stops cleanly', async () => {
  const store = join(h.dir, 'daemon.sqlite');
  let interrupted = false;
  const result = await runCli(['collect', '--config', h.configPath, '--store', store, '--since', '1d'], {
    onStderr: (text, child) => {
      // Two cycles (the interval is 1 s in the config), then Ctrl-C.
      if (!interrupted && (text.match(/collect: contoso ok/g) ?? []).length >= 2) {
        interrupted = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.equal(interrupted, true, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /collect: stopped after \d+ cycle\(s\)/);
  const db = openStore(store);
  try {
    assert.ok(db.stats(h.tenant.tenantId).rows > 0);
    assert.ok(db.listRuns({ kind: 'collect', status: 'succeeded' }).length >= 2);
  } finally {
    db.close();
  }
});
