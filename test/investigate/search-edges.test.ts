// The sweep's edges against the simulator: hostile ids, many copies, several ids, duplicates, cancellation and
// throttling past the retry budget. The tenant is edited before the simulator indexes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GraphClient } from '../../src/graph/client.ts';
import { countOutcomes, type MailboxRef, outcomeProblems } from '../../src/investigate/model.ts';
import { searchMailboxes } from '../../src/investigate/search.ts';
import type { SimMailboxCopy, SimUser, Tenant } from '../../src/simulator/model.ts';
import { expectedBlock, type Fixture, refOf, startFixture } from './fixture.ts';

const QUOTED_ID = "<it's'or'1'eq'1@contoso.com>";
const MANY_ID = '<many.copies+1@contoso.com>';
const MANY = 13;

describe('searchMailboxes edges', () => {
  let fx: Fixture;
  let tenant: Tenant;
  let client: GraphClient;
  let searchable: SimUser[];
  let refs: MailboxRef[];
  const holderOf = (id: string): SimUser => tenant.users.find((u) => u.id === id)!;

  before(async () => {
    fx = await startFixture({
      users: 60,
      seed: 5,
      edit: (t) => {
        const regular = t.users.filter((u) => u.mail !== null && expectedBlock(u) === undefined);
        const base = t.copies.find((c) => c.mailboxUserId === regular[0]!.id) ?? t.copies[0]!;
        const copy = (user: SimUser, internetMessageId: string, n: number): SimMailboxCopy => ({
          ...base,
          mailboxUserId: user.id,
          graphId: `AAMkTEST${user.id.slice(0, 8)}${n}${internetMessageId.length}`,
          internetMessageId,
          folder: 'inbox',
          isRead: n % 2 === 0,
        });
        t.copies.push(copy(regular[1]!, QUOTED_ID, 0));
        for (let n = 0; n < MANY; n++) t.copies.push(copy(regular[2]!, MANY_ID, n));
      },
    });
    tenant = fx.tenants[0]!;
    client = fx.clients[0]!;
    searchable = tenant.users.filter((u) => u.mail !== null && u.userType !== 'Guest');
    refs = searchable.map(refOf);
  });
  after(() => fx.close());

  it('escapes quotes: a quote-laden id matches only its own copy', async () => {
    const result = await searchMailboxes(client.send, refs, [QUOTED_ID], { limiter: client.mailboxLimiter });
    const found = result.mailboxes.filter((m) => m.outcome === 'found');
    const expected = tenant.copies.filter((c) => c.internetMessageId === QUOTED_ID);
    assert.deepEqual(
      found.map((m) => m.mailbox.id),
      expected.map((c) => c.mailboxUserId),
    );
    assert.equal(found[0]!.copies[0]!.internetMessageId, QUOTED_ID);
  });

  it("treats injection text as data: `' or … ne '` matches nothing and breaks no query", async () => {
    const hostile = "<x' or internetMessageId ne 'y@contoso.com>";
    const result = await searchMailboxes(client.send, refs, [hostile], { limiter: client.mailboxLimiter });
    const counts = countOutcomes(result.mailboxes);
    assert.equal(counts.found, 0);
    assert.equal(counts.copies, 0);
    assert.equal(counts.notSearchedByReason.error, 0, 'the filter stayed one valid string literal');
    assert.equal(counts.notFound, searchable.filter((u) => expectedBlock(u) === undefined).length);
  });

  it('follows nextLink when a mailbox holds more copies than one page', async () => {
    const holder = holderOf(tenant.copies.find((c) => c.internetMessageId === MANY_ID)!.mailboxUserId);
    const result = await searchMailboxes(client.send, [refOf(holder)], [MANY_ID], {
      limiter: client.mailboxLimiter,
    });
    const [outcome] = result.mailboxes;
    assert.equal(outcome?.outcome, 'found');
    assert.equal(outcome.copies.length, MANY);
    assert.equal(new Set(outcome.copies.map((c) => c.graphId)).size, MANY);
    assert.ok(outcome.copies.every((c) => c.folderName === 'Inbox'));
    assert.match(outcome.reconciliation, new RegExp(`^${MANY} copies: `));
  });

  it('searches several ids in one run, tags each copy with its id and merges duplicate mailboxes', async () => {
    const campaignId = tenant.campaign!.internetMessageId;
    const result = await searchMailboxes(
      client.send,
      [...refs, ...refs.slice(0, 5).map((r) => ({ ...r, address: r.address.toUpperCase() }))],
      [campaignId, QUOTED_ID],
      { limiter: client.mailboxLimiter, skipFolderNames: true },
    );
    // One line per (mailbox, id): a copy of one id never makes a mailbox "found" for the other.
    assert.equal(result.mailboxes.length, refs.length * 2);
    assert.equal(result.subRequests, refs.length * 4);
    assert.deepEqual(outcomeProblems(result.mailboxes, [campaignId, QUOTED_ID]), []);
    for (const line of result.mailboxes)
      assert.ok(line.copies.every((c) => c.internetMessageId === line.messageId), line.mailbox.address);
    const copies = result.mailboxes.flatMap((m) => m.copies);
    for (const id of [campaignId, QUOTED_ID]) {
      const reachable = tenant.copies.filter(
        (c) => c.internetMessageId === id && expectedBlock(holderOf(c.mailboxUserId)) === undefined,
      );
      assert.equal(copies.filter((c) => c.internetMessageId === id).length, reachable.length, id);
    }
    assert.ok(
      copies.every((c) => c.folderName === null),
      'folder names skipped on request',
    );
  });

  it('narrows the search to a received range when one is given', async () => {
    const campaign = tenant.campaign!;
    const at = Date.parse(campaign.receivedDateTime);
    const search = (since: number, until: number) =>
      searchMailboxes(client.send, refs, [campaign.internetMessageId], {
        limiter: client.mailboxLimiter,
        skipFolderNames: true,
        received: { since: new Date(since).toISOString(), until: new Date(until).toISOString() },
      });
    const around = countOutcomes((await search(at - 60_000, at + 60_000)).mailboxes);
    const later = countOutcomes((await search(at + 60_000, at + 3_600_000)).mailboxes);
    assert.ok(around.found > 0);
    assert.equal(later.found, 0);
    assert.equal(later.notSearchedByReason.error, 0);
  });

  it('stops cleanly when cancelled: unfinished mailboxes are notSearched "cancelled" and the run is incomplete', async () => {
    const controller = new AbortController();
    const result = await searchMailboxes(client.send, refs, [tenant.campaign!.internetMessageId], {
      limiter: client.mailboxLimiter,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 1) controller.abort();
      },
    });
    assert.equal(result.complete, false);
    assert.equal(result.mailboxes.length, refs.length);
    assert.deepEqual(outcomeProblems(result.mailboxes), []);
    const counts = countOutcomes(result.mailboxes);
    assert.ok(counts.notSearchedByReason.cancelled > 0, JSON.stringify(counts));
    assert.ok(counts.searched + counts.notSearched - counts.notSearchedByReason.cancelled >= 1);
    const cancelled = result.mailboxes.find((m) => m.reason === 'cancelled')!;
    assert.match(cancelled.reconciliation, /run cancelled/);
  });

  it('reports mailboxes still throttled after the retries as notSearched "throttled"', async () => {
    fx.sim.setFaults({ seed: 3, throttle429NoRetryAfter: 1, perBatchItem: true, exempt: /\$batch/ });
    try {
      const some = refs.filter((r) => expectedBlock(holderOf(r.id!)) === undefined).slice(0, 3);
      const result = await searchMailboxes(client.send, some, [QUOTED_ID], {
        limiter: client.mailboxLimiter,
        policy: { maxAttempts: 2, baseDelayMs: 1, maxBackoffMs: 5, maxRetryAfterMs: 1000 },
      });
      assert.deepEqual(
        result.mailboxes.map((m) => m.reason),
        some.map(() => 'throttled'),
      );
      assert.equal(result.complete, true, 'every mailbox got its answer, even if that answer is "throttled"');
      assert.match(result.mailboxes[0]!.reconciliation, /throttled past the retry budget/);
    } finally {
      fx.sim.setFaults({});
    }
  });
});
