// The sweep's scope from the directory, against the simulator: more than one page (999), headers re-sent on the
// nextLink (the simulator answers 400 otherwise), guests classified without a request.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { guestOutcome, listMailUsers, toMailboxRef } from '../../src/investigate/directory.ts';
import { outcomeProblems } from '../../src/investigate/model.ts';
import { type Fixture, startFixture } from './fixture.ts';

describe('listMailUsers', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ users: 1100, seed: 21, tenantName: 'fabrikam' });
  });
  after(() => fx.close());

  it('lists every user with a mail address over several pages, guests classified up front', async () => {
    const tenant = fx.tenants[0]!;
    const withMail = tenant.users.filter((u) => u.mail !== null);
    assert.ok(withMail.length > 999, `${withMail.length} mail users: enough for two pages`);
    await fx.clients[0]!.tokens.getToken(); // so that the count below holds Graph requests only
    const before = fx.sim.stats.totalRequests;
    const listed = await listMailUsers(fx.clients[0]!.send);
    assert.equal(listed.graphRequests, 2);
    assert.equal(
      fx.sim.stats.totalRequests - before,
      2,
      'two pages, no retry after a refused advanced query',
    );
    assert.equal(listed.reportedCount, withMail.length);
    const guests = withMail.filter((u) => u.userType === 'Guest');
    assert.ok(guests.length > 0);
    assert.deepEqual(listed.classified.map((o) => o.mailbox.id).sort(), guests.map((u) => u.id).sort());
    assert.deepEqual(
      listed.toSearch.map((r) => r.id).sort(),
      withMail
        .filter((u) => u.userType !== 'Guest')
        .map((u) => u.id)
        .sort(),
    );
    assert.ok(listed.toSearch.every((r) => r.kind === 'member' && r.address.includes('@')));
    assert.deepEqual(outcomeProblems(listed.classified), []);
    assert.ok(
      listed.classified.every((o) => o.reason === 'noMailbox' && /guest account/.test(o.detail ?? '')),
    );
  });
});

describe('toMailboxRef', () => {
  it('prefers mail, falls back to the UPN, and skips entries it cannot address', () => {
    assert.deepEqual(
      toMailboxRef({
        id: '1',
        mail: 'a@x.com',
        userPrincipalName: 'a@x.onmicrosoft.com',
        displayName: 'A',
        userType: 'Member',
      }),
      {
        id: '1',
        address: 'a@x.com',
        displayName: 'A',
        kind: 'member',
      },
    );
    assert.equal(
      toMailboxRef({ id: '2', mail: null, userPrincipalName: 'b@x.com', userType: 'Guest' })?.address,
      'b@x.com',
    );
    assert.equal(toMailboxRef({ mail: 'c@x.com' }), undefined);
    assert.equal(
      guestOutcome({ address: 'g@x.com', kind: 'guest' }).reconciliation,
      'not searched: guest account (no mailbox in this tenant)',
    );
  });
});
