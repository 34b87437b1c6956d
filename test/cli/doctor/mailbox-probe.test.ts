// The mailbox probe in process against simulated tenants whose mailboxes refuse in each documented way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfigFile } from '../../../src/cli/config.ts';
import { MAX_MAILBOX_PROBES } from '../../../src/cli/doctor/mailbox-probe.ts';
import { diagnoseTenant, type TenantReport } from '../../../src/cli/doctor/run.ts';
import type { Tenant } from '../../../src/simulator/model.ts';
import { startSimFixture } from '../sim-fixture.ts';

async function diagnose(edit: (tenant: Tenant) => void): Promise<{ report: TenantReport; requests: number }> {
  const fx = await startSimFixture({ seed: 5, edit });
  try {
    const tenant = loadConfigFile(fx.writeConfig()).tenants[0];
    assert.ok(tenant);
    const report = await diagnoseTenant(tenant, { signal: AbortSignal.timeout(20_000) });
    return { report, requests: fx.sim.stats.totalRequests };
  } finally {
    await fx.close();
  }
}

const mailbox = (report: TenantReport) => report.checks.find((c) => c.id === 'mailbox');

describe('doctor: mailbox search probe', () => {
  it('explains 403 ErrorAccessDenied as an RBAC for Applications scope or access policy', async () => {
    const { report } = await diagnose((t) => {
      for (const user of t.users) user.excludedByAccessPolicy = true;
    });
    const check = mailbox(report);
    assert.equal(check?.status, 'warn');
    assert.match(check?.detail ?? '', /403 ErrorAccessDenied/);
    assert.match(check?.fix ?? '', /RBAC for Applications/);
    assert.equal(check?.facts?.accessDenied, MAX_MAILBOX_PROBES);
    assert.equal(report.ok, true, 'a scoped app is a warning, not a blocker');
  });

  it('explains 404 MailboxNotEnabledForRESTAPI and stops after a few probes', async () => {
    const { report, requests } = await diagnose((t) => {
      for (const user of t.users) user.mailbox = 'none';
    });
    const check = mailbox(report);
    assert.equal(check?.status, 'warn');
    assert.match(check?.detail ?? '', /MailboxNotEnabledForRESTAPI/);
    assert.equal(check?.facts?.refused, MAX_MAILBOX_PROBES);
    // token + trace probe + user list + the mailbox probes: a doctor never sweeps the tenant.
    assert.ok(requests <= 3 + MAX_MAILBOX_PROBES, `${requests} requests`);
  });

  it('steps over a refused mailbox to one it can search', async () => {
    const { report } = await diagnose((t) => {
      const first = t.users.find((u) => u.userType === 'Member' && u.accountEnabled && u.mail);
      if (first) first.excludedByAccessPolicy = true;
    });
    const check = mailbox(report);
    assert.equal(check?.status, 'pass');
    assert.match(check?.detail ?? '', /before it: .*ErrorAccessDenied/);
  });
});
