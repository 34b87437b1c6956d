// Contract: the Microsoft Graph JavaScript client v3, unchanged (default middleware chain, documented options
// only), makes every read mailtrace makes against the simulator and gets the answers the tenant data dictates:
// the mailbox listing and alias lookups (advanced directory queries), the internetMessageId search in every folder
// and under Recoverable Items, the folder-name lookup, message traces over a time range with all their pages, and
// a trace row's event history (getDetailsByRecipient).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphError, type PageCollection, PageIterator } from '@microsoft/microsoft-graph-client';
import { type SimTraceRow, type SimUser, type TraceStatus, WELL_KNOWN_FOLDERS } from '../../src/simulator/model.ts';
import { folderIdOf } from '../../src/simulator/resources/mailbox.ts';
import {
  type Contract,
  expectedCopies,
  isVisible,
  odataString,
  originsOf,
  searchable,
  type SentRequest,
  startContract,
} from './harness.ts';

/** What mailtrace selects (src/investigate/directory.ts, search-requests.ts). */
const USER_SELECT = 'id,displayName,mail,userPrincipalName,userType,accountEnabled';
const MESSAGE_SELECT = 'id,internetMessageId,subject,from,receivedDateTime,parentFolderId,isRead';

interface DirectoryUser {
  id: string;
  displayName: string;
  mail: string | null;
  userPrincipalName: string;
  userType: string;
  accountEnabled: boolean;
}

interface Message {
  id: string;
  internetMessageId: string;
  parentFolderId: string;
  receivedDateTime: string;
  subject: string;
  isRead: boolean;
}

interface TraceRow {
  id: string;
  messageId: string;
  recipientAddress: string;
  senderAddress: string;
  receivedDateTime: string;
  status: string;
}

interface TraceDetail {
  id: string;
  messageId: string;
  dateTime: string;
  event: string;
}

function asDirectoryUser(user: SimUser): DirectoryUser {
  return {
    id: user.id,
    displayName: user.displayName,
    mail: user.mail,
    userPrincipalName: user.userPrincipalName,
    userType: user.userType,
    accountEnabled: user.accountEnabled,
  };
}

/** Every item of a collection, through the SDK's PageIterator (the same headers sent again on every nextLink). */
async function iterateAll<T>(c: Contract, first: PageCollection, headers: Record<string, string>): Promise<T[]> {
  const items: T[] = [];
  const iterator = new PageIterator(
    c.client,
    first,
    (item) => {
      items.push(item as T);
      return true;
    },
    { headers },
  );
  await iterator.iterate();
  assert.ok(iterator.isComplete(), 'the iterator drained every nextLink');
  return items;
}

/** The Graph requests (fetch) sent while `run` ran, for the given path prefix after the version. */
async function sentDuring<T>(c: Contract, prefix: string, run: () => Promise<T>): Promise<[T, SentRequest[]]> {
  const before = c.sent.length;
  const result = await run();
  const requests = c.sent.slice(before).filter((r) => r.via === 'fetch' && r.path.startsWith(`/v1.0${prefix}`));
  return [result, requests];
}

async function graphFailure(promise: Promise<unknown>): Promise<GraphError> {
  const error = await promise.then(
    () => assert.fail('Graph must refuse this request'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof GraphError, `got ${String(error)}`);
  return error;
}

describe('contract: @microsoft/microsoft-graph-client v3', () => {
  let c: Contract;
  let nowMs: number;
  before(async () => {
    c = await startContract();
    nowMs = c.sim.clock.nowMs();
  });
  after(() => c.close());

  describe('directory: advanced queries (ConsistencyLevel: eventual + $count=true)', () => {
    it("lists mailtrace's sweep scope (mail ne null, $top=999) with its @odata.count", async () => {
      const expected = c.tenant.users.filter((u) => u.mail !== null);
      const [page, requests] = await sentDuring(c, '/users', async () =>
        (await c.client
          .api('/users')
          .header('ConsistencyLevel', 'eventual')
          .filter('mail ne null')
          .count(true)
          .top(999)
          .select(USER_SELECT)
          .get()) as PageCollection,
      );
      assert.equal(page['@odata.count'], expected.length);
      assert.equal(page['@odata.nextLink'], undefined, 'one page holds the tenant');
      assert.deepEqual(page.value, expected.map(asDirectoryUser), 'every user, in directory order, as selected');
      assert.equal(requests.length, 1);
      assert.equal(requests[0]!.headers.consistencylevel, 'eventual');
    });

    it("pages endswith(mail,'@domain') with PageIterator: every user once, in order, header sent on every page", async () => {
      const domain = c.tenant.domains[0]!;
      const expected = c.tenant.users.filter((u) => u.mail?.toLowerCase().endsWith(`@${domain}`));
      const pageSize = 7;
      const [users, requests] = await sentDuring(c, '/users', async () => {
        const first = (await c.client
          .api('/users')
          .header('ConsistencyLevel', 'eventual')
          .filter(`endswith(mail,'@${domain}')`)
          .count(true)
          .top(pageSize)
          .select(USER_SELECT)
          .get()) as PageCollection;
        assert.equal(first['@odata.count'], expected.length);
        return iterateAll<DirectoryUser>(c, first, { ConsistencyLevel: 'eventual' });
      });
      assert.ok(expected.length > 3 * pageSize, `enough users to page (${expected.length})`);
      assert.deepEqual(users, expected.map(asDirectoryUser));
      assert.equal(requests.length, Math.ceil(expected.length / pageSize));
      assert.ok(requests.every((r) => r.headers.consistencylevel === 'eventual'));
      assert.ok(requests.slice(1).every((r) => r.path.includes('$skiptoken=')), 'later pages follow the nextLink');
    });

    it('refuses an advanced query without ConsistencyLevel, on a nextLink too (400 Request_UnsupportedQuery)', async () => {
      const refused = await graphFailure(
        c.client.api('/users').filter(`endswith(mail,'@${c.tenant.domains[0]!}')`).count(true).get(),
      );
      assert.equal(refused.statusCode, 400);
      assert.equal(refused.code, 'Request_UnsupportedQuery');
      // PageIterator given no headers does not re-send ConsistencyLevel: the second page is refused the same way.
      const first = (await c.client
        .api('/users')
        .header('ConsistencyLevel', 'eventual')
        .filter('mail ne null')
        .count(true)
        .top(5)
        .get()) as PageCollection;
      const iterator = new PageIterator(c.client, first, () => true);
      const onNextLink = await graphFailure(iterator.iterate());
      assert.equal(onNextLink.statusCode, 400);
      assert.equal(onNextLink.code, 'Request_UnsupportedQuery');
    });

    it("finds each secondary address with proxyAddresses/any(p:p eq 'smtp:…'), and only its owner", async () => {
      const withAliases = c.tenant.users.filter((u) => (u.aliases ?? []).length > 0);
      assert.ok(withAliases.some((u) => u.mailboxKind === 'shared'), 'a shared mailbox has an alias');
      assert.ok(withAliases.some((u) => u.mailboxKind === 'user'), 'a renamed user kept the old address');
      const lookup = async (address: string) =>
        (await c.client
          .api('/users')
          .header('ConsistencyLevel', 'eventual')
          .filter(`proxyAddresses/any(p:p eq 'smtp:${address}')`)
          .count(true)
          .select(USER_SELECT)
          .get()) as PageCollection;
      for (const user of withAliases) {
        for (const alias of user.aliases!) {
          const page = await lookup(alias);
          assert.deepEqual(page.value, [asDirectoryUser(user)], alias);
          assert.equal(page['@odata.count'], 1);
        }
        // `smtp:` matches the primary `SMTP:` address too: proxyAddresses are compared case-insensitively.
        assert.deepEqual((await lookup(user.mail!)).value, [asDirectoryUser(user)], user.mail!);
      }
      const nobody = await lookup(`nobody-${c.tenant.seed}@${c.tenant.domains[0]!}`);
      assert.deepEqual(nobody.value, []);
      assert.equal(nobody['@odata.count'], 0);
    });

    it('looks an address up by userPrincipalName eq (a default query: no ConsistencyLevel needed)', async () => {
      const user = c.tenant.users.find((u) => u.userType === 'Member' && u.mail !== null)!;
      const page = (await c.client
        .api('/users')
        .filter(`userPrincipalName eq '${user.userPrincipalName}'`)
        .select(USER_SELECT)
        .get()) as PageCollection;
      assert.deepEqual(page.value, [asDirectoryUser(user)]);
    });
  });

  describe('mailbox search by internetMessageId', () => {
    /** One searchable, visible copy per folder the tenant's mail sits in (well-known and custom). */
    function oneCopyPerFolder() {
      const byFolder = new Map<string, (typeof c.tenant.copies)[number]>();
      for (const copy of c.tenant.copies) {
        const user = c.tenant.users.find((u) => u.id === copy.mailboxUserId)!;
        if (!searchable(user) || !isVisible(copy, nowMs)) continue;
        const key = copy.folder in WELL_KNOWN_FOLDERS ? copy.folder : 'custom';
        if (!byFolder.has(key)) byFolder.set(key, copy);
      }
      return byFolder;
    }

    function folderName(userId: string, folder: string): string {
      return (
        WELL_KNOWN_FOLDERS[folder]?.displayName ??
        c.tenant.customFolders.find((f) => f.mailboxUserId === userId && f.id === folder)!.displayName
      );
    }

    async function search(user: SimUser, part: 'messages' | 'recoverable', messageId: string): Promise<Message[]> {
      const scope = part === 'messages' ? 'messages' : 'mailFolders/recoverableitemsdeletions/messages';
      const page = (await c.client
        .api(`/users/${encodeURIComponent(user.id)}/${scope}`)
        .query(`$filter=internetMessageId eq ${odataString(messageId)}`)
        .select(MESSAGE_SELECT)
        .top(10)
        .get()) as PageCollection;
      assert.equal(page['@odata.nextLink'], undefined);
      return page.value as Message[];
    }

    it('finds every copy in every folder, Recoverable Items only under recoverableitemsdeletions', async () => {
      const probes = oneCopyPerFolder();
      for (const folder of ['inbox', 'junkemail', 'deleteditems', 'archive', 'recoverableitemsdeletions', 'custom'])
        assert.ok(probes.has(folder), `the tenant has mail in ${folder}`);
      for (const [folder, copy] of probes) {
        const user = c.tenant.users.find((u) => u.id === copy.mailboxUserId)!;
        const expected = expectedCopies(c.tenant, user, copy.internetMessageId, nowMs);
        for (const part of ['messages', 'recoverable'] as const) {
          const found = await search(user, part, copy.internetMessageId);
          const want = part === 'messages' ? expected.messages : expected.recoverable;
          assert.deepEqual(
            found.map((m) => m.id).sort(),
            want.map((w) => w.graphId).sort(),
            `${folder}: ${part} of ${user.userPrincipalName}`,
          );
          for (const m of found) {
            const source = want.find((w) => w.graphId === m.id)!;
            assert.equal(m.internetMessageId, copy.internetMessageId);
            assert.equal(m.parentFolderId, folderIdOf(user.id, source.folder));
            assert.equal(m.receivedDateTime, source.receivedDateTime);
            assert.equal(m.isRead, source.isRead);
          }
        }
      }
    });

    it('names the folder of a copy from its parentFolderId (mailFolders/{id}?$select=displayName)', async () => {
      for (const [, copy] of oneCopyPerFolder()) {
        const folder = (await c.client
          .api(`/users/${encodeURIComponent(copy.mailboxUserId)}/mailFolders/${folderIdOf(copy.mailboxUserId, copy.folder)}`)
          .select('displayName')
          .get()) as { displayName: string };
        assert.equal(folder.displayName, folderName(copy.mailboxUserId, copy.folder));
      }
    });

    it("needs the caller to percent-encode the id: `.filter()` sends '+' raw and Graph reads it as a space", async () => {
      const campaign = c.tenant.campaign!;
      assert.match(campaign.internetMessageId, /\+/);
      const holder = c.tenant.users.find(
        (u) => searchable(u) && expectedCopies(c.tenant, u, campaign.internetMessageId, nowMs).messages.length > 0,
      )!;
      const raw = (await c.client
        .api(`/users/${holder.id}/messages`)
        .filter(`internetMessageId eq '${campaign.internetMessageId}'`)
        .select('id')
        .get()) as PageCollection;
      assert.deepEqual(raw.value, [], "the raw '+' does not match");
      const encoded = await search(holder, 'messages', campaign.internetMessageId);
      assert.deepEqual(
        encoded.map((m) => m.id).sort(),
        expectedCopies(c.tenant, holder, campaign.internetMessageId, nowMs).messages.map((m) => m.graphId).sort(),
      );
    });
  });

  describe('message trace (v1.0 /admin/exchange/tracing/messageTraces)', () => {
    const SECOND = 1000;
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

    function statusAt(row: SimTraceRow): TraceStatus {
      let status = row.statusTimeline[0]!.status;
      for (const step of row.statusTimeline) if (Date.parse(step.from) <= nowMs) status = step.status;
      return status;
    }

    function visibleRows(startMs: number, endMs: number): SimTraceRow[] {
      return c.tenant.traces.filter((r) => {
        const t = Date.parse(r.receivedDateTime);
        return t >= startMs && t <= endMs && Date.parse(r.visibleFrom) <= nowMs;
      });
    }

    it('reads every row of a receivedDateTime range across its nextLinks, newest first, none twice', async () => {
      const endMs = Math.floor(nowMs / SECOND) * SECOND;
      const startMs = endMs - 2 * 86_400_000;
      const expected = visibleRows(startMs, endMs);
      const pageSize = Math.ceil(expected.length / 4);
      const headers = { Prefer: 'include-unknown-enum-members' };
      const [rows, requests] = await sentDuring(c, '/admin/exchange/tracing/messageTraces', async () => {
        const first = (await c.client
          .api('/admin/exchange/tracing/messageTraces')
          .headers(headers)
          .filter(`receivedDateTime ge ${iso(startMs)} and receivedDateTime le ${iso(endMs)}`)
          .top(pageSize)
          .get()) as PageCollection;
        return iterateAll<TraceRow>(c, first, headers);
      });
      assert.ok(expected.length > 100, `a busy enough range (${expected.length} rows)`);
      assert.equal(requests.length, Math.ceil(expected.length / pageSize), 'four pages');
      assert.ok(requests.every((r) => r.headers.prefer === 'include-unknown-enum-members'));
      assert.equal(rows.length, expected.length);
      const key = (r: { id: string; recipientAddress: string }) => `${r.id}|${r.recipientAddress.toLowerCase()}`;
      assert.equal(new Set(rows.map(key)).size, rows.length, 'no row twice');
      assert.deepEqual(new Set(rows.map(key)), new Set(expected.map(key)), 'exactly the visible rows of the range');
      for (let i = 1; i < rows.length; i++)
        assert.ok(rows[i - 1]!.receivedDateTime >= rows[i]!.receivedDateTime, 'newest first');
      const byKey = new Map(expected.map((r) => [key(r), r]));
      for (const row of rows) {
        const source = byKey.get(key(row))!;
        assert.equal(row.messageId, source.messageId);
        assert.equal(row.senderAddress, source.senderAddress);
        assert.equal(row.receivedDateTime, source.receivedDateTime);
        assert.equal(row.status, statusAt(source));
      }
    });

    it("filters one message's rows by messageId within the range (the trace-first scope)", async () => {
      const campaign = c.tenant.campaign!;
      const receivedMs = Date.parse(campaign.receivedDateTime);
      const startMs = receivedMs - 3600 * SECOND;
      const endMs = Math.min(Math.floor(nowMs / SECOND) * SECOND, startMs + 10 * 86_400_000);
      const page = (await c.client
        .api('/admin/exchange/tracing/messageTraces')
        .header('Prefer', 'include-unknown-enum-members')
        .query(
          `$filter=${encodeURIComponent(
            `messageId eq '${campaign.internetMessageId}' and receivedDateTime ge ${iso(startMs)} and receivedDateTime le ${iso(endMs)}`,
          )}`,
        )
        .top(5000)
        .get()) as PageCollection;
      const expected = visibleRows(startMs, endMs).filter((r) => r.messageId === campaign.internetMessageId);
      assert.ok(expected.length > 0);
      assert.deepEqual(
        new Set((page.value as TraceRow[]).map((r) => r.recipientAddress.toLowerCase())),
        new Set(expected.map((r) => r.recipientAddress.toLowerCase())),
      );
    });

    it("getDetailsByRecipient(recipientAddress='…') gives the row's events, ending in its status", async () => {
      const lastEvent: Record<TraceStatus, string> = {
        gettingStatus: 'Receive',
        pending: 'Defer',
        delivered: 'Deliver',
        failed: 'Fail',
        expanded: 'Expand',
        quarantined: 'Quarantine',
        filteredAsSpam: 'Deliver',
        recalled: 'Recall',
      };
      // One visible row per status the tenant has at this instant.
      const probes = new Map<TraceStatus, SimTraceRow>();
      for (const row of c.tenant.traces)
        if (Date.parse(row.visibleFrom) <= nowMs && !probes.has(statusAt(row))) probes.set(statusAt(row), row);
      for (const status of ['delivered', 'failed', 'quarantined', 'filteredAsSpam'] as const)
        assert.ok(probes.has(status), `the tenant has a ${status} row`);
      for (const [status, row] of probes) {
        const details = (await c.client
          .api(
            `/admin/exchange/tracing/messageTraces/${row.id}/getDetailsByRecipient(recipientAddress='${row.recipientAddress}')`,
          )
          .get()) as PageCollection;
        const events = details.value as TraceDetail[];
        assert.equal(events[0]?.event, 'Receive', status);
        assert.equal(events.at(-1)?.event, lastEvent[status], status);
        assert.ok(events.every((e) => e.id === row.id && e.messageId === row.messageId));
        for (let i = 1; i < events.length; i++) assert.ok(events[i - 1]!.dateTime <= events[i]!.dateTime, 'in order');
      }
      const row = probes.get('delivered')!;
      const missing = await graphFailure(
        c.client
          .api(
            `/admin/exchange/tracing/messageTraces/${row.id}/getDetailsByRecipient(recipientAddress='nobody@${c.tenant.domains[0]!}')`,
          )
          .get(),
      );
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.code, 'ResourceNotFound');
    });
  });

  it('sent every request to the simulator and none to a Microsoft host', () => {
    assert.deepEqual([...originsOf(c.sent).keys()], [c.sim.url]);
    assert.ok(!c.sent.some((r) => r.path.includes('/discovery/instance')));
    assert.equal(c.sim.stats.totalViolations(), 0, 'no Graph limit broken');
  });
});
