import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerateOptionsError, generateTenant } from '../../src/simulator/generate.ts';
import {
  type SimTraceRow,
  type SimUser,
  type Tenant,
  WELL_KNOWN_FOLDERS,
} from '../../src/simulator/model.ts';

const ANCHOR = '2026-01-15T10:00:00Z';
const ANCHOR_MS = Date.parse(ANCHOR);
const FINAL = new Set(['delivered', 'expanded', 'failed', 'quarantined', 'filteredAsSpam', 'recalled']);

const medium = generateTenant({ users: 300, days: 3, seed: 11, anchor: ANCHOR });

function usersById(tenant: Tenant): Map<string, SimUser> {
  return new Map(tenant.users.map((user) => [user.id, user]));
}

function holdsCopies(user: SimUser | undefined): boolean {
  return user?.mailbox === 'exchangeOnline' && user.unresolvable !== true;
}

function finalStatus(row: SimTraceRow): string {
  return row.statusTimeline.at(-1)!.status;
}

describe('generateTenant: determinism and options', () => {
  it('gives identical JSON for the same options and a different tenant for another seed', () => {
    const options = { users: 60, days: 2, seed: 5, anchor: ANCHOR };
    const first = JSON.stringify(generateTenant(options));
    assert.equal(JSON.stringify(generateTenant(options)), first);
    const other = generateTenant({ ...options, seed: 6 });
    assert.notEqual(JSON.stringify(other), first);
    assert.notEqual(other.tenantId, JSON.parse(first).tenantId);
  });

  it('anchors at the current minute by default', () => {
    const before = Math.floor(Date.now() / 60_000) * 60_000;
    const tenant = generateTenant({ users: 30, days: 1, seed: 1 });
    const anchor = Date.parse(tenant.anchor);
    assert.ok(anchor >= before && anchor <= Date.now(), tenant.anchor);
    assert.equal(anchor % 60_000, 0);
  });

  it('rejects impossible options with a clear error', () => {
    const base = { users: 30, days: 1, seed: 1, anchor: ANCHOR };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ users: 29 }, /users must be an integer from 30/],
      [{ days: 0 }, /days must be an integer from 1 to 90/],
      [{ days: 91 }, /days/],
      [{ anchor: 'yesterday' }, /anchor must be an RFC 3339 instant/],
      [{ tenantName: 'Contoso Ltd' }, /tenantName/],
      [{ campaignRecipients: 3 }, /campaignRecipients/],
      [{ messagesPerUserPerDay: -1 }, /messagesPerUserPerDay/],
    ];
    for (const [override, message] of cases) {
      assert.throws(
        () => generateTenant({ ...base, ...override }),
        (error: unknown) => {
          assert.ok(error instanceof GenerateOptionsError);
          assert.match(error.message, message);
          return true;
        },
      );
    }
  });
});

describe('generateTenant: directory', () => {
  const tenant = generateTenant({
    users: 2000,
    days: 1,
    seed: 3,
    anchor: ANCHOR,
    messagesPerUserPerDay: 0.2,
  });
  const share = (predicate: (user: SimUser) => boolean): number =>
    tenant.users.filter(predicate).length / 2000;

  it('has the proportions of a real tenant', () => {
    assert.equal(tenant.users.length, 2000);
    const regular = share((u) => u.mailboxKind === 'user' && u.accountEnabled && !u.excludedByAccessPolicy);
    assert.ok(regular > 0.78 && regular < 0.88, `regular ${regular}`);
    const between = (value: number, low: number, high: number, what: string): void =>
      assert.ok(value >= low && value <= high, `${what}: ${value}`);
    between(
      share((u) => u.mailboxKind === 'shared'),
      0.025,
      0.035,
      'shared',
    );
    between(
      share((u) => u.mailboxKind === 'room'),
      0.005,
      0.015,
      'room',
    );
    between(
      share((u) => u.mailboxKind === 'equipment'),
      0.005,
      0.015,
      'equipment',
    );
    between(
      share((u) => u.userType === 'Guest'),
      0.035,
      0.045,
      'guests',
    );
    between(
      share((u) => u.mail === null),
      0.015,
      0.025,
      'mail null',
    );
    between(
      share((u) => u.mailboxKind === 'user' && !u.accountEnabled),
      0.015,
      0.025,
      'disabled',
    );
    between(
      share((u) => u.excludedByAccessPolicy),
      0.005,
      0.015,
      'excluded',
    );
    between(
      share((u) => u.mailbox === 'softDeleted'),
      0.005,
      0.015,
      'soft-deleted',
    );
    between(
      share(
        (u) =>
          u.mail !== null && (u.mailbox === 'none' || u.mailbox === 'onPremises') && u.userType === 'Member',
      ),
      0.015,
      0.025,
      'mail-enabled without mailbox',
    );
    between(tenant.users.filter((u) => u.unresolvable).length, 1, 5, 'unresolvable');
  });

  it('names people and mailboxes the way Entra does', () => {
    const upns = new Set(tenant.users.map((u) => u.userPrincipalName.toLowerCase()));
    assert.equal(upns.size, tenant.users.length);
    assert.equal(new Set(tenant.users.map((u) => u.id)).size, tenant.users.length);
    for (const user of tenant.users) {
      assert.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      if (user.userType === 'Guest') {
        assert.equal(user.mailbox, 'none');
        assert.ok(user.mail && !user.mail.endsWith('@contoso.com'));
        assert.equal(user.userPrincipalName, `${user.mail.replace('@', '_')}#EXT#@contoso.onmicrosoft.com`);
      } else if (user.mailboxKind === 'user' && user.mail) {
        assert.match(user.userPrincipalName, /^[a-z-]+\.[a-z-]+\d*@contoso\.com$/);
      }
      if (user.mailbox === 'exchangeOnline') assert.ok(user.mailboxKind, user.userPrincipalName);
      else assert.equal(user.mailboxKind, undefined);
    }
    assert.ok(tenant.users.some((u) => u.mailboxKind === 'room' && /^room-[a-z]+-\d+@/.test(u.mail ?? '')));
    assert.deepEqual(tenant.domains, ['contoso.com', 'contoso.onmicrosoft.com']);
  });

  it('has distribution groups of 5 to 40 existing members', () => {
    const ids = new Set(tenant.users.map((u) => u.id));
    assert.ok(tenant.groups.length >= 3);
    assert.ok(tenant.groups.some((g) => g.mail.startsWith('all-staff-')));
    for (const group of tenant.groups) {
      assert.ok(group.memberIds.length >= 5 && group.memberIds.length <= 40, group.mail);
      assert.ok(group.memberIds.every((id) => ids.has(id)));
    }
  });

  it('registers the app with a valid and an expired secret, and one app without trace permission', () => {
    const [main, noTrace] = tenant.apps;
    assert.equal(main?.displayName, 'mailtrace');
    assert.deepEqual(main.roles, ['ExchangeMessageTrace.Read.All', 'Mail.ReadBasic.All', 'User.Read.All']);
    const expiries = main.secrets.map((s) => Date.parse(s.expiresAt) > ANCHOR_MS);
    assert.deepEqual(expiries.sort(), [false, true]);
    for (const secret of [...main.secrets, ...(noTrace?.secrets ?? [])]) {
      assert.match(secret.value, /^[A-Za-z0-9]{3}\dQ~[A-Za-z0-9_.~-]{34}$/);
    }
    assert.equal(noTrace?.displayName, 'mailtrace-no-trace');
    assert.ok(!noTrace.roles.includes('ExchangeMessageTrace.Read.All'));
    assert.equal(tenant.messageTraceServicePrincipal, true);
  });
});

describe('generateTenant: traffic', () => {
  const users = usersById(medium);
  const groupsByMail = new Map(medium.groups.map((g) => [g.mail, g]));

  it('produces about messagesPerUserPerDay rows per mailbox per day', () => {
    const mailboxes = medium.users.filter(holdsCopies).length;
    const expected = mailboxes * 2 * (3 + 2 / 24);
    const ratio = medium.traces.length / expected;
    assert.ok(ratio > 0.9 && ratio < 1.2, `ratio ${ratio}`);
  });

  it('keeps rows sorted, whole-second UTC, visible no earlier than received', () => {
    let previous = '';
    for (const row of medium.traces) {
      assert.match(row.receivedDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(row.receivedDateTime >= previous);
      previous = row.receivedDateTime;
      assert.ok(row.visibleFrom >= row.receivedDateTime);
      assert.ok(row.size >= 2048 && row.size <= 25 * 1024 * 1024);
    }
    const late = medium.traces.filter(
      (r) => Date.parse(r.visibleFrom) - Date.parse(r.receivedDateTime) > 3_600_000,
    );
    assert.ok(late.length > 0, 'some rows show up hours late');
  });

  it('shares one trace id and message id per message, one row per recipient', () => {
    const byId = new Map<string, SimTraceRow[]>();
    for (const row of medium.traces) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
    const idOfMessage = new Map<string, string>();
    let multi = 0;
    for (const [id, rows] of byId) {
      const first = rows[0]!;
      const recipients = new Set(rows.map((r) => r.recipientAddress));
      assert.equal(recipients.size, rows.length, `one row per recipient for ${id}`);
      for (const row of rows) {
        assert.equal(row.messageId, first.messageId);
        assert.equal(row.senderAddress, first.senderAddress);
        assert.equal(row.receivedDateTime, first.receivedDateTime);
      }
      assert.equal(idOfMessage.get(first.messageId) ?? id, id);
      idOfMessage.set(first.messageId, id);
      if (rows.length > 1) multi++;
    }
    assert.ok(multi > 10, 'messages with several recipients exist');
    assert.ok(medium.traces.every((r) => /^<[^<>\s]+@[^<>\s]+>$/.test(r.messageId)));
  });

  it('expands distribution groups into one expanded row plus member rows', () => {
    const expanded = medium.traces.filter((r) => finalStatus(r) === 'expanded');
    assert.ok(expanded.length > 0);
    for (const row of expanded) {
      const group = groupsByMail.get(row.recipientAddress);
      assert.ok(group, `${row.recipientAddress} is a group`);
      const delivered = new Set(medium.traces.filter((r) => r.id === row.id).map((r) => r.recipientAddress));
      for (const memberId of group.memberIds) {
        const member = users.get(memberId)!;
        if (member.mail !== row.senderAddress) assert.ok(delivered.has(member.mail!), member.mail!);
      }
    }
  });

  it('mixes directions and statuses with believable addresses', () => {
    const count = (predicate: (row: SimTraceRow) => boolean): number =>
      medium.traces.filter(predicate).length;
    for (const direction of ['inbound', 'outbound', 'internal'] as const) {
      assert.ok(count((r) => r.direction === direction) > 0, direction);
    }
    for (const status of ['delivered', 'filteredAsSpam', 'quarantined', 'failed']) {
      assert.ok(count((r) => finalStatus(r) === status) > 0, status);
    }
    assert.ok(count((r) => finalStatus(r) === 'delivered') / medium.traces.length > 0.85);
    // Background traffic: recalled only inside the organization (a recall cannot reach another organization's
    // mailbox), never with a copy left. (The campaign seeds its own recalled recipient for coverage.)
    const recalled = medium.traces.filter(
      (r) => finalStatus(r) === 'recalled' && r.messageId !== medium.campaign?.internetMessageId,
    );
    assert.ok(recalled.length > 0, 'recalled');
    for (const row of recalled) {
      assert.equal(row.direction, 'internal');
      assert.ok(
        !medium.copies.some(
          (c) =>
            c.internetMessageId === row.messageId &&
            users.get(c.mailboxUserId)?.mail === row.recipientAddress,
        ),
        `${row.recipientAddress} still holds a recalled message`,
      );
    }
    for (const row of medium.traces) {
      if (row.direction === 'outbound') {
        assert.notEqual(row.toIP, '');
        assert.ok(!row.recipientAddress.endsWith('@contoso.com'));
      } else {
        assert.equal(row.toIP, '');
      }
      if (row.direction === 'inbound') assert.ok(!row.senderAddress.endsWith('@contoso.com'));
      assert.match(row.fromIP, /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-f:]+)$/);
    }
  });

  it('gives settling rows a transient timeline and every other row a final status', () => {
    const settlingFrom = ANCHOR_MS - 30 * 60_000;
    let transient = 0;
    for (const row of medium.traces) {
      const steps = row.statusTimeline;
      assert.ok(steps.length >= 1);
      assert.equal(steps[0]!.from, row.receivedDateTime);
      for (let i = 1; i < steps.length; i++) assert.ok(steps[i]!.from >= steps[i - 1]!.from);
      const last = steps.at(-1)!.status;
      const stuck = last === 'pending';
      assert.ok(FINAL.has(last) || stuck, `${row.id} ends in ${last}`);
      for (const step of steps.slice(0, -1)) assert.ok(!FINAL.has(step.status), 'transient steps come first');
      if (Date.parse(row.receivedDateTime) >= settlingFrom) {
        assert.equal(steps[0]!.status, 'gettingStatus');
        transient++;
      } else {
        assert.equal(steps.length, 1);
      }
    }
    assert.ok(transient > 0);
    assert.ok(
      medium.traces.some((r) => Date.parse(r.receivedDateTime) > ANCHOR_MS),
      'future rows exist',
    );
  });

  it('leaves copies only in Exchange Online mailboxes, in real folders, with unique ids', () => {
    const customFolders = new Set(medium.customFolders.map((f) => `${f.mailboxUserId}/${f.id}`));
    const graphIds = new Set(medium.copies.map((c) => c.graphId));
    assert.equal(graphIds.size, medium.copies.length);
    const folders = new Set<string>();
    for (const copy of medium.copies) {
      assert.ok(holdsCopies(users.get(copy.mailboxUserId)), copy.mailboxUserId);
      assert.ok(
        copy.folder in WELL_KNOWN_FOLDERS || customFolders.has(`${copy.mailboxUserId}/${copy.folder}`),
      );
      assert.match(copy.graphId, /^AAMkAG[A-Za-z0-9_-]+=$/);
      folders.add(copy.folder in WELL_KNOWN_FOLDERS ? copy.folder : 'custom');
    }
    for (const folder of ['inbox', 'junkemail', 'deleteditems', 'custom'])
      assert.ok(folders.has(folder), folder);
    const spam = medium.traces.filter((r) => finalStatus(r) === 'filteredAsSpam');
    const junk = new Set(
      medium.copies.filter((c) => c.folder === 'junkemail').map((c) => c.internetMessageId),
    );
    assert.ok(spam.some((row) => junk.has(row.messageId)));
  });

  it('creates custom folders under well-known or custom parents of the same mailbox', () => {
    assert.ok(medium.customFolders.length >= 3);
    const keys = new Set(medium.customFolders.map((f) => `${f.mailboxUserId}/${f.id}`));
    assert.equal(new Set(medium.customFolders.map((f) => f.id)).size, medium.customFolders.length);
    for (const folder of medium.customFolders) {
      assert.ok(
        folder.parentFolder in WELL_KNOWN_FOLDERS ||
          keys.has(`${folder.mailboxUserId}/${folder.parentFolder}`),
      );
    }
  });
});
