// investigate() on the review's findings, end to end against the simulator: several ids in one run answered per
// id, a run stopped while trace was read and then resumed, mailboxes left throttled, aliases of a mailbox, and
// trace windows that fail on their own. Expectations come from the tenant data (the oracle).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GraphClient } from '../../src/graph/client.ts';
import { GraphError } from '../../src/graph/errors.ts';
import type { GraphRequest, Send } from '../../src/graph/types.ts';
import { countOutcomes, linesOf, outcomeProblems } from '../../src/investigate/model.ts';
import { type InvestigationClient, investigate } from '../../src/investigate/run.ts';
import { normalizeTraceStatus } from '../../src/investigate/reconcile.ts';
import { TraceUnavailableError, traceRecipients } from '../../src/investigate/trace-scope.ts';
import type { SimUser, Tenant } from '../../src/simulator/model.ts';
import { expectedBlock, type Fixture, startFixture } from './fixture.ts';

const GHOST_LOCAL = 'nobody-here';

describe('investigate: review findings', () => {
  let fx: Fixture;
  let tenant: Tenant;
  let campaignId: string;
  let otherId: string;
  let alias: SimUser;
  const simNow = () => fx.sim.clock.nowMs();

  before(async () => {
    fx = await startFixture({
      users: 120,
      seed: 3,
      edit: (t) => {
        const id = t.campaign!.internetMessageId;
        const row = t.traces.find((r) => r.messageId === id && r.statusTimeline.at(-1)?.status === 'delivered')!;
        // A member whose UPN differs from mail, reached at the UPN; and an address of the tenant no one carries.
        const member = t.users.find(
          (u) =>
            u.mail !== null &&
            expectedBlock(u) === undefined &&
            !t.traces.some((r) => r.messageId === id && r.recipientAddress.toLowerCase() === u.mail!.toLowerCase()),
        )!;
        member.userPrincipalName = `upn.${member.id.slice(0, 8)}@${t.domains.at(-1)}`;
        t.traces.push({ ...row, recipientAddress: member.userPrincipalName });
        t.traces.push({ ...row, recipientAddress: `${GHOST_LOCAL}@${t.domains[0]}` });
      },
    });
    tenant = fx.tenants[0]!;
    campaignId = tenant.campaign!.internetMessageId;
    // Another message delivered to a user mailbox: some mailboxes hold one id and not the other.
    otherId = tenant.copies.find(
      (c) =>
        c.internetMessageId !== campaignId &&
        tenant.traces.some((r) => r.messageId === c.internetMessageId) &&
        expectedBlock(tenant.users.find((u) => u.id === c.mailboxUserId)!) === undefined,
    )!.internetMessageId;
    const tracedTo = (address: string) =>
      tenant.traces.some((r) => r.messageId === campaignId && r.recipientAddress === address);
    alias = tenant.users.find((u) => u.mail !== u.userPrincipalName && tracedTo(u.userPrincipalName))!;
  });
  after(() => fx.close());

  it('several ids: one line per (mailbox, id), each with its own copies, trace status and counts', async () => {
    const ids = [campaignId, otherId];
    const report = await investigate({ client: fx.clients[0]!, tenant: 'sim', messageIds: ids, now: simNow });
    assert.deepEqual(outcomeProblems(report.mailboxes, ids), []);
    const mailboxKeys = new Set(report.mailboxes.map((m) => (m.mailbox.id ?? m.mailbox.address).toLowerCase()));
    assert.equal(report.mailboxes.length, mailboxKeys.size * 2);
    for (const line of report.mailboxes) {
      assert.ok(line.messageId === campaignId || line.messageId === otherId);
      const address = line.mailbox.address.toLowerCase();
      const rows = tenant.traces.filter(
        (r) => r.messageId === line.messageId && r.recipientAddress.toLowerCase() === address,
      );
      if (rows.length === 0) assert.equal(line.traceStatus, undefined, `${line.mailbox.address} ${line.messageId}`);
      else
        assert.ok(
          rows.some((r) => normalizeTraceStatus(r.statusTimeline.at(-1)!.status) === line.traceStatus),
          `${line.mailbox.address} ${line.messageId}: ${line.traceStatus}`,
        );
      if (line.mailbox.id === undefined || line.outcome === 'notSearched') continue;
      const held = tenant.copies.filter(
        (c) => c.mailboxUserId === line.mailbox.id && c.internetMessageId === line.messageId,
      );
      assert.equal(line.copies.length, held.length, `${line.mailbox.address} ${line.messageId}`);
      assert.equal(line.outcome, held.length > 0 ? 'found' : 'notFound');
    }
    // A mailbox found for one id and not for the other says both.
    const split = report.mailboxes.find(
      (m) => m.outcome === 'found' && linesOf(report.mailboxes, m.messageId === campaignId ? otherId : campaignId).some(
        (o) => o.mailbox.id === m.mailbox.id && o.outcome === 'notFound',
      ),
    );
    assert.ok(split, 'some mailbox holds one id and not the other');
    assert.deepEqual(
      report.countsByMessageId.map((c) => c.messageId),
      ids,
    );
    for (const { messageId, counts } of report.countsByMessageId)
      assert.deepEqual(counts, countOutcomes(report.mailboxes.filter((m) => m.messageId === messageId)));
    const traced = report.trace.filter((r) => r.messageId === otherId);
    assert.ok(traced.length > 0, 'trace rows keep the id they were read for');
  });

  it('an alias (UPN) of a mailbox is searched; an address of the tenant that no one carries is mailboxNotFound', async () => {
    const report = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [campaignId],
      now: simNow,
      acceptedDomains: tenant.domains,
    });
    const line = report.mailboxes.find((m) => m.mailbox.id === alias.id);
    assert.ok(line, 'the mailbox reached by its UPN is in scope');
    assert.notEqual(line.outcome, 'notSearched');
    assert.equal(line.traceStatus, 'delivered');
    const ghost = report.mailboxes.find((m) => m.mailbox.address.startsWith(`${GHOST_LOCAL}@`));
    assert.equal(ghost?.outcome, 'notSearched');
    assert.equal(ghost.reason, 'mailboxNotFound');
    assert.match(ghost.detail ?? '', /userPrincipalName or proxy address/);
    assert.ok(!report.traceOnly.some((l) => l.recipient.address === alias.userPrincipalName));
    assert.ok(!report.traceOnly.some((l) => l.recipient.address.startsWith(`${GHOST_LOCAL}@`)));
  });

  it('a run stopped while trace is read is undecided and incomplete; resuming it runs it again from the start', async () => {
    const controller = new AbortController();
    controller.abort();
    const stopped = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [campaignId],
      now: simNow,
      signal: controller.signal,
    });
    assert.equal(stopped.complete, false);
    assert.equal(stopped.scope, 'undecided');
    assert.equal(stopped.mailboxes.length, 0);
    // Also a run saved by an older version: scope 'sweep', nothing in it, incomplete.
    for (const previous of [stopped, { ...stopped, scope: 'sweep' as const }]) {
      const resumed = await investigate({
        client: fx.clients[0]!,
        tenant: 'sim',
        messageIds: [campaignId],
        now: simNow,
        resume: previous,
      });
      assert.equal(resumed.complete, true);
      assert.equal(resumed.scope, 'trace');
      assert.ok(resumed.counts.found > 0);
      assert.equal(resumed.resumedFrom, stopped.runId);
    }
  });

  it('a mailbox left throttled makes the run incomplete, and a resume searches it again', async () => {
    const client = fx.clients[0]!;
    const impatient: InvestigationClient = {
      send: client.send,
      mailboxLimiter: client.mailboxLimiter,
      cloud: client.cloud,
      grantedRoles: () => client.grantedRoles(),
      retryPolicy: { maxAttempts: 2, baseDelayMs: 1, maxBackoffMs: 5, maxRetryAfterMs: 1000 },
    };
    const members = tenant.users.filter((u) => u.mail !== null && expectedBlock(u) === undefined).slice(0, 3);
    fx.sim.setFaults({ seed: 3, throttle429NoRetryAfter: 1, perBatchItem: true, exempt: /\$batch|\/users$/ });
    let report: Awaited<ReturnType<typeof investigate>>;
    try {
      report = await investigate({
        client: impatient,
        tenant: 'sim',
        messageIds: [campaignId],
        scope: 'sweep',
        mailboxes: members.map((u) => u.mail!),
      });
    } finally {
      fx.sim.setFaults({});
    }
    assert.equal(report.counts.notSearchedByReason.throttled, members.length);
    assert.equal(report.complete, false, 'a throttled mailbox is not an answer');
    const resumed = await investigate({ client: impatient, tenant: 'sim', messageIds: [campaignId], resume: report });
    assert.equal(resumed.complete, true);
    assert.equal(resumed.counts.searched, members.length);
  });
});

describe('traceRecipients: each window settles on its own', () => {
  let fx: Fixture;
  let client: GraphClient;
  let id: string;
  before(async () => {
    fx = await startFixture({ users: 60, seed: 7 });
    client = fx.clients[0]!;
    id = fx.tenants[0]!.campaign!.internetMessageId;
  });
  after(() => fx.close());

  /** The real client, except that trace queries whose window starts in `failing` answer `status`. */
  const failingWindows = (status: number, failing: (filter: string) => boolean, times = Infinity): Send => {
    let failed = 0;
    return <T>(request: GraphRequest) => {
      const filter = decodeURIComponent(request.url);
      if (request.url.includes('messageTraces') && failing(filter) && failed < times) {
        failed++;
        return Promise.reject(
          new GraphError({ status, code: status === 403 ? 'Forbidden' : 'ServiceUnavailable', message: 'injected', requestId: 'req-x' }),
        );
      }
      return client.send<T>(request);
    };
  };
  const scopeOptions = () => ({ now: fx.sim.clock.nowMs(), clockSkewMarginMs: 60_000 });
  const expected = () => fx.tenants[0]!.traces.filter((r) => r.messageId === id).length;
  const newest = (filter: string) => filter.includes(`le ${new Date(fx.sim.clock.nowMs() - 60_000).toISOString().slice(0, 15)}`);

  it('a window failing once is read again in two halves: nothing is lost', async () => {
    const result = await traceRecipients(failingWindows(503, newest, 1), [id], scopeOptions());
    assert.equal(result.failures.length, 0);
    assert.equal(result.recipients.length, expected());
    assert.equal(result.graphRequests, 9 + 2, 'the failed query and its two halves');
  });

  it('a window that keeps failing is reported; the other windows still answer', async () => {
    const oldest = (filter: string) => !newest(filter);
    const result = await traceRecipients(failingWindows(503, oldest), [id], scopeOptions());
    assert.equal(result.failures.length, 8);
    assert.equal(result.failures[0]!.requestId, 'req-x');
    assert.equal(result.recipients.length, expected(), 'the campaign is in the newest window');
  });

  it('a refusal that holds for all of trace (403) makes it unavailable, with its kind', async () => {
    await assert.rejects(
      traceRecipients(failingWindows(403, newest), [id], scopeOptions()),
      (error: unknown) => error instanceof TraceUnavailableError && error.kind === 'permission',
    );
  });
});
