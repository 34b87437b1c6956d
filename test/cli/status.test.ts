import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TenantStatus } from '../../src/cli/commands/status-run.ts';
import { openStore } from '../../src/store/index.ts';
import { collectorLeaseScope } from '../../src/trace/tenant-lease.ts';
import { type CliHarness, runCli, startCliHarness } from './cli-harness.ts';

let h: CliHarness;
before(async () => {
  h = await startCliHarness({ seed: 57 });
});
after(() => h.close());

test('status reports rows, lag, quota and the last run per tenant', async () => {
  const collected = await runCli(['collect', '--once', '--config', h.configPath, '--since', '1d']);
  assert.equal(collected.code, 0, collected.stderr);

  const json = await runCli(['status', '--config', h.configPath, '-o', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const data = JSON.parse(json.stdout) as { tenants: TenantStatus[] };
  const t = data.tenants[0]!;
  const store = openStore(h.storePath);
  try {
    const stats = store.stats(h.tenant.tenantId);
    assert.equal(t.name, 'contoso');
    assert.equal(t.rows, stats.rows);
    assert.ok(t.rows > 0);
    assert.equal(t.statusChanges, stats.statusChanges);
    assert.deepEqual(t.byStatus, stats.byStatus);
  } finally {
    store.close();
  }
  // Delay 5 min: the checkpoint sits about 5 minutes behind now.
  assert.ok(t.lagMs !== null && t.lagMs >= 295_000 && t.lagMs < 600_000, `lag ${t.lagMs}`);
  assert.ok(t.quotaUsedLast5Min >= 1, 'the collector used the shared budget');
  assert.equal(t.quotaLimit, 100);
  assert.equal(t.lastRun?.status, 'succeeded');
  assert.equal(t.collectingNow, null, 'the finished collect released its lease');

  // Without a config, the store alone names its tenants (by id).
  const table = await runCli(['status', '--store', h.storePath]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`${h.tenant.tenantId}\\s+${t.rows}\\s`));
  assert.match(table.stdout, /succeeded/);
});

test('status names the collector working on a tenant now (its unexpired lease)', async () => {
  const store = openStore(h.storePath);
  try {
    store.acquireLease(
      {
        scope: collectorLeaseScope(h.tenant.tenantId),
        holder: 'a-daemon',
        host: 'collector-host',
        pid: 4242,
        ttlMs: 3_600_000,
      },
      { now: Date.now() },
    );
  } finally {
    store.close();
  }
  const json = await runCli(['status', '--config', h.configPath, '-o', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const t = (JSON.parse(json.stdout) as { tenants: TenantStatus[] }).tenants[0]!;
  assert.equal(t.collectingNow?.pid, 4242);
  assert.equal(t.collectingNow?.host, 'collector-host');
  const table = await runCli(['status', '--config', h.configPath]);
  assert.match(table.stdout, /pid 4242 on collector-host/);
});

test('status on a missing store exits with a config error and a fix', async () => {
  const result = await runCli(['status', '--store', `${h.dir}/none.sqlite`]);
  assert.equal(result.code, 6);
  assert.match(result.stderr, /fix: run `mailtrace collect` first/);
});
