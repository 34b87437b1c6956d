// A tenant where the app was never granted a Mail.* permission must fail once, with the fix, not report every
// mailbox as excluded by an application access policy (both are 403 ErrorAccessDenied from Outlook).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphError } from '../../src/graph/errors.ts';
import { MailAccessMissingError, MailAccessProbe } from '../../src/investigate/mail-access.ts';
import { investigate } from '../../src/investigate/run.ts';
import type { Tenant } from '../../src/simulator/model.ts';
import { type Fixture, startFixture } from './fixture.ts';

const denied = () =>
  new GraphError({ status: 403, code: 'ErrorAccessDenied', message: 'Access is denied.', requestId: 'r-1' });

describe('MailAccessProbe', () => {
  it('stops after the first mailboxes all answered 403 when the token has no mail role', () => {
    const probe = new MailAccessProbe(['User.Read.All'], 3);
    probe.settled(denied(), 100);
    probe.settled(denied(), 100);
    assert.throws(() => probe.settled(denied(), 100), MailAccessMissingError);
  });

  it('stops at the last mailbox of a run smaller than the probe', () => {
    const probe = new MailAccessProbe(['User.Read.All'], 8);
    probe.settled(denied(), 2);
    assert.throws(() => probe.settled(denied(), 2), MailAccessMissingError);
  });

  it('stays quiet once any mailbox was read (access through RBAC for Applications, not the token)', () => {
    const probe = new MailAccessProbe(['User.Read.All'], 2);
    probe.settled(undefined, 100);
    for (let i = 0; i < 10; i++) probe.settled(denied(), 100);
  });

  it('is inert with a mail role in the token, or when the roles are unknown', () => {
    for (const roles of [['Mail.ReadBasic.All'], ['Mail.Read'], undefined]) {
      const probe = new MailAccessProbe(roles, 1);
      for (let i = 0; i < 5; i++) probe.settled(denied(), 100);
    }
  });

  it('does not count other failures (no mailbox, not found) as refusals', () => {
    const probe = new MailAccessProbe(['User.Read.All'], 2);
    const noMailbox = new GraphError({ status: 404, code: 'MailboxNotEnabledForRESTAPI', message: 'x' });
    for (let i = 0; i < 5; i++) probe.settled(noMailbox, 100);
    probe.settled(denied(), 100);
    assert.throws(() => probe.settled(denied(), 100), MailAccessMissingError);
  });
});

describe('investigate without a mail permission', () => {
  let fx: Fixture;
  let tenant: Tenant;

  before(async () => {
    fx = await startFixture({ users: 200, seed: 23 });
    tenant = fx.tenants[0]!;
    // The app keeps its directory and trace roles; Mail.* is gone before its first token is issued.
    const app = tenant.apps.find((a) => a.roles.includes('Mail.ReadBasic.All'))!;
    app.roles = app.roles.filter((role) => !role.startsWith('Mail.'));
  });
  after(() => fx.close());

  it('a sweep stops once with MailAccessMissingError after a handful of mailboxes, not 200 exclusions', async () => {
    const before = fx.sim.stats.totalRequests;
    await assert.rejects(
      investigate({
        client: fx.clients[0]!,
        tenant: 'sim',
        messageIds: [tenant.campaign!.internetMessageId],
        scope: 'sweep',
        now: () => fx.sim.clock.nowMs(),
      }),
      (error: unknown) => {
        assert.ok(error instanceof MailAccessMissingError);
        assert.match(error.message, /no Mail\.\* application role/);
        return true;
      },
    );
    const mailboxes = tenant.users.filter((u) => u.mailbox === 'exchangeOnline').length;
    // Each $batch carries up to 20 searches (10 mailboxes): the run stopped in its first few batches.
    assert.ok(fx.sim.stats.totalRequests - before < mailboxes / 4, 'stopped early, not after every mailbox');
  });
});
