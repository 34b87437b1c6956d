import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateTenant } from '../../src/simulator/generate.ts';
import { type Tenant, WELL_KNOWN_FOLDERS } from '../../src/simulator/model.ts';

const ANCHOR = '2026-01-15T10:00:00Z';

/** Every case an investigation must report, recomputed from the tenant's data. */
function campaignCases(tenant: Tenant) {
  const campaign = tenant.campaign!;
  const rows = tenant.traces.filter((r) => r.messageId === campaign.internetMessageId);
  const copies = tenant.copies.filter((c) => c.internetMessageId === campaign.internetMessageId);
  const userByAddress = new Map(tenant.users.filter((u) => u.mail).map((u) => [u.mail!, u]));
  const userById = new Map(tenant.users.map((u) => [u.id, u]));
  const copiesOf = (address: string) => {
    const user = userByAddress.get(address);
    return user ? copies.filter((c) => c.mailboxUserId === user.id) : [];
  };
  const status = (address: string) =>
    rows.find((r) => r.recipientAddress === address)!.statusTimeline.at(-1)!.status;
  const traced = new Set(rows.map((r) => r.recipientAddress));
  const perMailbox = new Map<string, number>();
  for (const copy of copies)
    perMailbox.set(copy.mailboxUserId, (perMailbox.get(copy.mailboxUserId) ?? 0) + 1);
  const searchable = (address: string) => {
    const user = userByAddress.get(address);
    return user?.mailbox === 'exchangeOnline' && !user.unresolvable && !user.excludedByAccessPolicy;
  };
  return {
    rows,
    copies,
    inboxRead: copies.filter((c) => c.folder === 'inbox' && c.isRead).length,
    inboxUnread: copies.filter((c) => c.folder === 'inbox' && !c.isRead).length,
    junk: copies.filter(
      (c) => c.folder === 'junkemail' && status(userById.get(c.mailboxUserId)!.mail!) === 'filteredAsSpam',
    ).length,
    deletedRead: copies.filter((c) => c.folder === 'deleteditems' && c.isRead).length,
    recoverable: copies.filter((c) => c.folder === 'recoverableitemsdeletions').length,
    custom: copies.filter((c) => !(c.folder in WELL_KNOWN_FOLDERS)).length,
    quarantined: rows.filter(
      (r) => status(r.recipientAddress) === 'quarantined' && copiesOf(r.recipientAddress).length === 0,
    ).length,
    recalled: rows.filter(
      (r) => status(r.recipientAddress) === 'recalled' && copiesOf(r.recipientAddress).length === 0,
    ).length,
    failed: rows.filter(
      (r) => status(r.recipientAddress) === 'failed' && copiesOf(r.recipientAddress).length === 0,
    ).length,
    twoCopies: [...perMailbox.values()].filter((n) => n >= 2).length,
    purged: rows.filter(
      (r) =>
        status(r.recipientAddress) === 'delivered' &&
        searchable(r.recipientAddress) &&
        copiesOf(r.recipientAddress).length === 0,
    ).length,
    shared: rows.filter((r) => userByAddress.get(r.recipientAddress)?.mailboxKind === 'shared').length,
    excludedWithCopy: rows.filter(
      (r) =>
        userByAddress.get(r.recipientAddress)?.excludedByAccessPolicy &&
        copiesOf(r.recipientAddress).length > 0,
    ).length,
    noMailbox: rows.filter((r) => {
      const user = userByAddress.get(r.recipientAddress);
      return user && user.mailbox !== 'exchangeOnline' && status(r.recipientAddress) === 'delivered';
    }).length,
    untraced: copies.filter((c) => !traced.has(userById.get(c.mailboxUserId)!.mail!)).length,
    expanded: rows.filter((r) => status(r.recipientAddress) === 'expanded').map((r) => r.recipientAddress),
  };
}

describe('generateTenant: the seeded campaign', () => {
  for (const [users, seed] of [
    [30, 1],
    [30, 2],
    [400, 9],
  ] as const) {
    it(`covers every case an investigation must report (${users} users, seed ${seed})`, () => {
      const tenant = generateTenant({ users, days: 2, seed, anchor: ANCHOR });
      const cases = campaignCases(tenant);
      assert.ok(cases.inboxRead >= 1, 'inbox, read');
      assert.ok(cases.inboxUnread >= 1, 'inbox, unread');
      assert.ok(cases.junk >= 1, 'junk email, filteredAsSpam');
      assert.ok(cases.deletedRead >= 1, 'deleted items, read');
      assert.ok(cases.recoverable >= 1, 'recoverable items');
      assert.ok(cases.custom >= 1, 'custom folder');
      assert.ok(cases.quarantined >= 2, 'quarantined, no copy');
      assert.ok(cases.failed >= 1, 'failed, no copy');
      assert.equal(cases.recalled, 1, 'recalled, no copy');
      assert.ok(cases.twoCopies >= 1, 'a mailbox with two copies');
      assert.ok(cases.purged >= 1, 'delivered but purged');
      assert.ok(cases.shared >= 1, 'a shared mailbox');
      assert.ok(cases.excludedWithCopy >= 1, 'excluded by access policy, copy exists');
      assert.ok(cases.noMailbox >= 1, 'delivered to a recipient without an Exchange Online mailbox');
      assert.ok(cases.untraced >= 1, 'a copy the trace does not show');
      assert.equal(cases.expanded.length, 1, 'one distribution group');
      const group = tenant.groups.find((g) => g.mail === cases.expanded[0])!;
      const traced = new Set(cases.rows.map((r) => r.recipientAddress));
      for (const id of group.memberIds) assert.ok(traced.has(tenant.users.find((u) => u.id === id)!.mail!));
    });
  }

  it('is one final, visible message received about 26 hours before the anchor', () => {
    const tenant = generateTenant({ users: 120, days: 3, seed: 4, anchor: ANCHOR, campaignRecipients: 20 });
    const campaign = tenant.campaign!;
    const { rows, copies } = campaignCases(tenant);
    const hoursBefore = (Date.parse(ANCHOR) - Date.parse(campaign.receivedDateTime)) / 3_600_000;
    assert.ok(hoursBefore >= 25.5 && hoursBefore <= 27, `${hoursBefore} h`);
    assert.deepEqual(
      campaign.recipientAddresses,
      rows.map((r) => r.recipientAddress),
    );
    assert.equal(new Set(rows.map((r) => r.id)).size, 1);
    for (const row of rows) {
      assert.equal(row.senderAddress, campaign.senderAddress);
      assert.equal(row.subject, campaign.subject);
      assert.equal(row.statusTimeline.length, 1);
      assert.ok(row.visibleFrom < tenant.anchor);
    }
    // The To line names the 20 addresses it was sent to, the group among them.
    assert.equal(copies[0]!.toRecipients.length, 20);
    assert.ok(copies[0]!.toRecipients.some((r) => tenant.groups.some((g) => g.mail === r.address)));
    assert.match(campaign.senderAddress, /@contoso-helpdesk\.com$/);
    assert.match(campaign.internetMessageId, /^<.+\+.+@contoso-helpdesk\.com>$/);
    const index = tenant.traces.indexOf(rows[0]!);
    assert.ok(tenant.traces[index - 1]!.receivedDateTime <= campaign.receivedDateTime);
    assert.ok(tenant.traces[index + rows.length]!.receivedDateTime >= campaign.receivedDateTime);
  });
});
