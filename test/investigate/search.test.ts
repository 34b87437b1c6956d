// The sweep end to end: the real client over HTTPS against the simulator serving a generated tenant with the
// seeded campaign. Every expectation is computed from the tenant data, never hard-coded.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listMailUsers } from '../../src/investigate/directory.ts';
import { applyTrace, traceOnlyRecipients } from '../../src/investigate/join.ts';
import {
  countOutcomes,
  type MailboxOutcome,
  outcomeProblems,
  type TraceRecipient,
} from '../../src/investigate/model.ts';
import { type SearchProgress, searchMailboxes } from '../../src/investigate/search.ts';
import type { SimUser, Tenant } from '../../src/simulator/model.ts';
import { expectedBlock, type Fixture, folderDisplayName, startFixture } from './fixture.ts';

describe('searchMailboxes on the seeded campaign', () => {
  let fx: Fixture;
  let tenant: Tenant;
  let messageId: string;
  let outcomes: MailboxOutcome[];
  let users: SimUser[];
  let requestsSeen: number;
  let itemsSeen: number;
  let graphRequests: number;
  const progress: SearchProgress[] = [];

  before(async () => {
    fx = await startFixture({ users: 300, seed: 11 });
    tenant = fx.tenants[0]!;
    messageId = tenant.campaign!.internetMessageId;
    const client = fx.clients[0]!;
    const directory = await listMailUsers(client.send);
    const before = { requests: fx.sim.stats.totalRequests, items: fx.sim.stats.batchItems };
    const result = await searchMailboxes(client.send, directory.toSearch, [messageId], {
      limiter: client.mailboxLimiter,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.complete, true);
    assert.equal(result.stoppedBy, undefined);
    requestsSeen = fx.sim.stats.totalRequests - before.requests;
    itemsSeen = fx.sim.stats.batchItems - before.items;
    graphRequests = result.graphRequests;
    outcomes = [...directory.classified, ...result.mailboxes];
    users = tenant.users.filter((u) => u.mail !== null);
  });
  after(() => fx.close());

  const outcomeOf = (user: SimUser): MailboxOutcome => {
    const found = outcomes.find((o) => o.mailbox.id === user.id);
    assert.ok(found, `${user.mail} is missing from the result`);
    return found;
  };

  it('accounts for every mail-enabled user exactly once', () => {
    assert.deepEqual(outcomeProblems(outcomes), []);
    assert.equal(outcomes.length, users.length);
    const counts = countOutcomes(outcomes);
    assert.equal(counts.inScope, users.length);
    assert.equal(counts.found + counts.notFound + counts.notSearched, counts.inScope);
  });

  it('finds every copy with its folder and read state', () => {
    const holderOf = (id: string) => tenant.users.find((u) => u.id === id)!;
    const all = tenant.copies.filter((c) => c.internetMessageId === messageId);
    // A copy in a mailbox the app may not open (access policy) exists but cannot be found: it is reported blocked.
    const copies = all.filter((c) => expectedBlock(holderOf(c.mailboxUserId)) === undefined);
    assert.ok(copies.length >= 15, `the campaign has ${copies.length} reachable copies`);
    assert.ok(copies.length < all.length, 'the campaign also reaches a mailbox the app may not open');
    for (const hidden of all.filter((c) => !copies.includes(c))) {
      assert.equal(outcomeOf(holderOf(hidden.mailboxUserId)).outcome, 'notSearched');
    }
    for (const expected of copies) {
      const user = holderOf(expected.mailboxUserId);
      const outcome = outcomeOf(user);
      assert.equal(outcome.outcome, 'found', `${user.mail}: ${outcome.reconciliation}`);
      const copy = outcome.copies.find((c) => c.graphId === expected.graphId);
      assert.ok(copy, `${user.mail}: copy ${expected.graphId} missing`);
      assert.equal(copy.folderName, folderDisplayName(tenant, expected.folder), `${user.mail} folder`);
      assert.equal(copy.isRead, expected.isRead, `${user.mail} read state`);
      assert.equal(copy.internetMessageId, messageId);
      assert.equal(copy.receivedDateTime, expected.receivedDateTime);
    }
    const foundCopies = outcomes.flatMap((o) => o.copies);
    assert.equal(foundCopies.length, copies.length, 'no copy beyond the tenant’s');
  });

  it('reports the two-copy mailbox with both copies, including Recoverable Items elsewhere', () => {
    const perMailbox = new Map<string, number>();
    for (const c of tenant.copies.filter((c) => c.internetMessageId === messageId)) {
      perMailbox.set(c.mailboxUserId, (perMailbox.get(c.mailboxUserId) ?? 0) + 1);
    }
    const twoCopyIds = [...perMailbox].filter(([, n]) => n === 2).map(([id]) => id);
    assert.equal(twoCopyIds.length, 1);
    const twoCopies = outcomeOf(tenant.users.find((u) => u.id === twoCopyIds[0])!);
    assert.equal(twoCopies.copies.length, 2);
    assert.match(twoCopies.reconciliation, /^2 copies: /);
    const recoverable = tenant.copies.find(
      (c) => c.internetMessageId === messageId && c.folder === 'recoverableitemsdeletions',
    )!;
    const holder = outcomeOf(tenant.users.find((u) => u.id === recoverable.mailboxUserId)!);
    assert.equal(holder.copies[0]?.wellKnownName, 'recoverableitemsdeletions');
    assert.match(holder.reconciliation, /Recoverable Items \(Deletions\)/);
  });

  it('lists guests, mailbox-less, unresolvable and policy-excluded users as not searched with the right reason', () => {
    let blocked = 0;
    for (const user of users) {
      const reason = expectedBlock(user);
      const outcome = outcomeOf(user);
      if (reason === undefined) {
        assert.notEqual(outcome.outcome, 'notSearched', `${user.mail}: ${outcome.detail}`);
        continue;
      }
      blocked++;
      assert.equal(outcome.outcome, 'notSearched', user.mail ?? '');
      assert.equal(outcome.reason, reason, `${user.mail}: ${outcome.detail}`);
      assert.ok(outcome.detail, `${user.mail} has no detail`);
      if (user.userType === 'Guest') assert.match(outcome.detail, /guest account/);
    }
    const counts = countOutcomes(outcomes);
    assert.equal(counts.notSearched, blocked);
    assert.ok(counts.notSearchedByReason.noMailbox > 0 && counts.notSearchedByReason.accessDenied > 0);
    assert.ok(counts.notSearchedByReason.mailboxNotFound > 0);
  });

  it('explains quarantined, failed, purged and out-of-trace recipients once joined with trace', () => {
    const trace: TraceRecipient[] = tenant.traces
      .filter((row) => row.messageId === messageId)
      .map((row) => ({
        address: row.recipientAddress,
        status: row.statusTimeline.at(-1)!.status,
        traceId: row.id,
        receivedDateTime: row.receivedDateTime,
        sender: row.senderAddress,
        subject: row.subject,
      }));
    const joined = applyTrace(outcomes, trace);
    assert.deepEqual(outcomeProblems(joined), []);
    const byStatus = (status: string) =>
      joined.filter((o) => o.traceStatus === status && o.outcome !== 'notSearched');
    for (const status of ['quarantined', 'failed']) {
      const lines = byStatus(status);
      assert.ok(lines.length > 0, `no ${status} recipient`);
      for (const line of lines) assert.equal(line.reconciliation, `${status} → not in mailbox (expected)`);
    }
    const delivered = byStatus('delivered');
    assert.ok(
      delivered.some((o) => o.reconciliation === 'delivered → not found (moved to archive or purged)'),
    );
    assert.ok(
      delivered.some(
        (o) => o.reconciliation === 'delivered → 2 copies: Deleted Items (read), Inbox (unread)',
      ),
    );
    assert.ok(joined.some((o) => o.reconciliation === 'filteredAsSpam → in Junk Email, unread'));
    assert.ok(
      joined.some(
        (o) => o.reconciliation === 'delivered → not searched: excluded by application access policy',
      ),
    );
    const outsideTrace = joined.filter((o) => o.traceStatus === undefined && o.outcome === 'found');
    assert.equal(outsideTrace.length, 1, 'exactly the one BCC/forwarded copy');
    assert.match(
      outsideTrace[0]!.reconciliation,
      /^not in trace → found: .*\(forwarded, BCC or journal copy\?\)$/,
    );
    const group = traceOnlyRecipients(joined, trace);
    assert.deepEqual(
      group.map((g) => g.reconciliation),
      ['expanded (distribution group)'],
    );
  });

  it('uses at most 2 sub-requests per searched mailbox plus one folder lookup per folder holding a copy', () => {
    const searched = outcomes.filter((o) => o.mailbox.kind !== 'guest').length;
    const folderLookups = new Set(
      outcomes.flatMap((o) => o.copies.map((c) => `${o.mailbox.id}/${c.folderId}`)),
    ).size;
    assert.equal(itemsSeen, searched * 2 + folderLookups);
    assert.equal(graphRequests, requestsSeen, 'the count the result reports is what the service saw');
    assert.ok(requestsSeen <= Math.ceil((searched * 2) / 20) + Math.ceil(folderLookups / 20) + 2);
    assert.equal(fx.sim.stats.violations.mailboxConcurrency, 0);
  });

  it('reports progress up to done = total with a rate and an ETA', () => {
    assert.ok(progress.length > 0);
    const last = progress.at(-1)!;
    assert.equal(last.done, last.total);
    assert.equal(last.etaMs, 0);
    assert.ok(last.ratePerSecond > 0);
    assert.ok(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done));
  });
});
