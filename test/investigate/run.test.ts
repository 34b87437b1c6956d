// investigate() end to end against the simulator: the real client over HTTPS, a generated tenant and its seeded
// campaign. Every expectation is computed from the tenant data (the oracle), never hard-coded.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Copy, outcomeProblems } from '../../src/investigate/model.ts';
import { type InvestigationReport, investigate } from '../../src/investigate/run.ts';
import { TraceUnavailableError } from '../../src/investigate/trace-scope.ts';
import type { SimUser, Tenant } from '../../src/simulator/model.ts';
import { expectedBlock, type Fixture, folderDisplayName, startFixture } from './fixture.ts';

describe('investigate on the seeded campaign', () => {
  let fx: Fixture;
  let tenant: Tenant;
  let messageId: string;
  const simNow = () => fx.sim.clock.nowMs();

  before(async () => {
    fx = await startFixture({ users: 300, seed: 11 });
    tenant = fx.tenants[0]!;
    messageId = tenant.campaign!.internetMessageId;
  });
  after(() => fx.close());

  const userByAddress = (address: string): SimUser | undefined =>
    tenant.users.find((u) => u.mail?.toLowerCase() === address.toLowerCase());
  const outcomeFor = (report: InvestigationReport, user: SimUser) =>
    report.mailboxes.find((m) => m.mailbox.id === user.id);

  it('trace first: searches exactly the trace recipients that are users, and explains each', async () => {
    const before = fx.sim.stats.totalRequests;
    const report = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [messageId],
      now: simNow,
    });
    assert.equal(report.scope, 'trace');
    assert.equal(report.complete, true);
    assert.deepEqual(outcomeProblems(report.mailboxes), []);
    assert.equal(report.traceRequests, 9, 'one query per 10-day window of the 90-day horizon');
    const rows = tenant.traces.filter((r) => r.messageId === messageId);
    assert.equal(report.trace.length, rows.length);
    const users = [...new Set(rows.map((r) => r.recipientAddress.toLowerCase()))]
      .map(userByAddress)
      .filter((u): u is SimUser => u !== undefined);
    assert.equal(report.mailboxes.length, users.length);
    for (const user of users) {
      const outcome = outcomeFor(report, user);
      assert.ok(outcome, `${user.mail} missing`);
      const block = expectedBlock(user);
      if (block !== undefined) {
        assert.equal(outcome.outcome, 'notSearched', user.mail!);
        assert.equal(outcome.reason, block, user.mail!);
        continue;
      }
      const copies = tenant.copies.filter(
        (c) => c.mailboxUserId === user.id && c.internetMessageId === messageId,
      );
      assert.equal(outcome.copies.length, copies.length, `${user.mail}: ${outcome.reconciliation}`);
      for (const expected of copies) {
        const copy: Copy | undefined = outcome.copies.find((c) => c.graphId === expected.graphId);
        assert.ok(copy);
        assert.equal(copy.folderName, folderDisplayName(tenant, expected.folder));
        assert.equal(copy.isRead, expected.isRead);
      }
      const row = rows.find((r) => r.recipientAddress.toLowerCase() === user.mail!.toLowerCase())!;
      const status = row.statusTimeline.at(-1)!.status;
      assert.equal(outcome.traceStatus, status);
      if (status === 'quarantined' || status === 'failed')
        assert.equal(outcome.reconciliation, `${status} → not in mailbox (expected)`);
    }
    // The distribution group and external addresses are trace-only lines, not dropped.
    const group = rows.find((r) => r.statusTimeline[0]!.status === 'expanded')!;
    const line = report.traceOnly.find((l) => l.recipient.address === group.recipientAddress);
    assert.equal(line?.reconciliation, 'expanded (distribution group)');
    assert.ok(fx.sim.stats.totalRequests - before <= 20, 'a handful of HTTP requests');
  });

  it('--sweep adds every mailbox, so the copy trace never saw is found', async () => {
    const report = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [messageId],
      addSweep: true,
      now: simNow,
    });
    assert.equal(report.scope, 'trace+sweep');
    assert.equal(report.mailboxes.length, tenant.users.filter((u) => u.mail !== null).length);
    const traced = new Set(
      tenant.traces.filter((r) => r.messageId === messageId).map((r) => r.recipientAddress),
    );
    const untraced = report.mailboxes.filter((m) => m.outcome === 'found' && !traced.has(m.mailbox.address));
    assert.equal(untraced.length, 1);
    assert.match(
      untraced[0]!.reconciliation,
      /^not in trace → found: .*\(forwarded, BCC or journal copy\?\)$/,
    );
  });

  it('auto sweeps when trace finds nothing, and says so', async () => {
    const report = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: ['<nobody-sent-this@example.com>'],
      now: simNow,
    });
    assert.equal(report.scope, 'trace+sweep');
    assert.match(report.scopeReason, /found no recipient/);
    assert.equal(report.counts.found, 0);
    assert.ok(report.counts.notFound > 100);
  });

  it('auto sweeps when the range is older than 90 days; --scope trace refuses', async () => {
    const since = new Date(simNow() - 100 * 86_400_000).toISOString();
    const report = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [messageId],
      since,
      now: simNow,
    });
    assert.equal(report.scope, 'sweep');
    assert.match(report.scopeReason, /90 days/);
    await assert.rejects(
      investigate({
        client: fx.clients[0]!,
        tenant: 'sim',
        messageIds: [messageId],
        since,
        scope: 'trace',
        now: simNow,
      }),
      TraceUnavailableError,
    );
  });

  it('a cancelled sweep is incomplete, and resuming it finishes only what was left', async () => {
    const controller = new AbortController();
    const partial = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [messageId],
      scope: 'sweep',
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 40) controller.abort();
      },
    });
    assert.equal(partial.complete, false);
    assert.deepEqual(outcomeProblems(partial.mailboxes), []);
    const cancelled = partial.mailboxes.filter((m) => m.reason === 'cancelled');
    assert.ok(cancelled.length > 0, 'some mailboxes were left');
    const before = fx.sim.stats.batchItems;
    const resumed = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [messageId],
      resume: partial,
    });
    assert.equal(resumed.complete, true);
    assert.equal(resumed.resumedFrom, partial.runId);
    assert.equal(resumed.mailboxes.length, partial.mailboxes.length);
    assert.equal(resumed.counts.notSearchedByReason.cancelled, 0);
    const items = fx.sim.stats.batchItems - before;
    assert.ok(items <= cancelled.length * 2 + 40, `re-searched only what was left (${items} items)`);
  });
});
