// Investigation results as ECS documents: every emitted document passes the typed checker, ids are deterministic
// and distinct, every mailbox outcome and copy gives exactly one document, and no secret gets in. A hand-built
// result pins the mapping; a real investigation of the seeded campaign checks it against the simulator's data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  INVESTIGATION_DATASET,
  type InvestigationEcsDocument,
  type InvestigationEcsInput,
  investigationToEcs,
} from '../../src/investigate/ecs.ts';
import { checkInvestigationEcsTypes } from '../../src/investigate/ecs-fields.ts';
import type { Copy, MailboxOutcome } from '../../src/investigate/model.ts';
import { investigate } from '../../src/investigate/run.ts';
import { type Fixture, startFixture } from './fixture.ts';

const ID_A = '<phish-a@evil.example>';
const ID_B = '<phish-b@evil.example>';

function copy(over: Partial<Copy> = {}): Copy {
  return {
    internetMessageId: ID_A,
    graphId: 'AAMkAG-1',
    folderId: 'f-inbox',
    folderName: 'Inbox',
    receivedDateTime: '2026-01-20T10:00:00Z',
    isRead: false,
    subject: 'Invoice overdue',
    from: 'billing@evil.example',
    ...over,
  };
}

function sample(messageIds = [ID_A]): InvestigationEcsInput {
  const mailboxes: MailboxOutcome[] = [
    {
      mailbox: { id: 'u-1', address: 'Adele@contoso.com', displayName: 'Adele Vance', kind: 'member' },
      outcome: 'found',
      copies: [
        copy(),
        copy({
          graphId: 'AAMkAG-2',
          folderId: 'f-rec',
          folderName: null,
          wellKnownName: 'recoverableitemsdeletions',
          isRead: true,
        }),
      ],
      traceStatus: 'delivered',
      reconciliation: 'delivered → now in Inbox, unread',
    },
    {
      mailbox: { id: 'u-2', address: 'alex@contoso.com' },
      outcome: 'notFound',
      copies: [],
      traceStatus: 'delivered',
      reconciliation: 'delivered → not found (moved or purged)',
    },
    {
      mailbox: { id: 'u-3', address: 'ceo@contoso.com', kind: 'member' },
      outcome: 'notSearched',
      reason: 'accessDenied',
      detail: 'excluded by an application access policy',
      requestId: 'req-123',
      copies: [],
      reconciliation: 'not searched (access denied)',
    },
    {
      mailbox: { address: 'late@contoso.com' },
      outcome: 'notSearched',
      reason: 'cancelled',
      copies: [],
      reconciliation: 'not searched (cancelled)',
    },
  ];
  return {
    runId: 'run-1',
    messageIds,
    tenant: 'contoso',
    startedAt: '2026-01-21T08:00:00.000Z',
    endedAt: '2026-01-21T08:00:03.500Z',
    complete: false,
    scope: 'trace+sweep',
    trace: [
      {
        address: 'alex@contoso.com',
        status: 'delivered',
        traceId: 't-1',
        receivedDateTime: '2026-01-20T10:00:00Z',
        sender: 'billing@evil.example',
        subject: 'Invoice overdue',
      },
    ],
    mailboxes,
  };
}

const byAction = (docs: InvestigationEcsDocument[], action: string) =>
  docs.filter((d) => d.event.action === action);

describe('investigationToEcs', () => {
  it('one document per copy and per other mailbox outcome, each passing the type check', () => {
    const docs = investigationToEcs(sample(), { tenantId: '11111111-2222-3333-4444-555555555555' });
    assert.equal(docs.length, 5);
    for (const doc of docs) assert.deepEqual(checkInvestigationEcsTypes(doc), [], doc.event.action);
    assert.equal(byAction(docs, 'message-found').length, 2);
    assert.equal(byAction(docs, 'message-not-found').length, 1);
    assert.equal(byAction(docs, 'mailbox-not-searched').length, 2);
    for (const doc of docs) {
      assert.equal(doc.event.kind, 'event');
      assert.deepEqual(doc.event.category, ['email']);
      assert.deepEqual(doc.event.type, ['info']);
      assert.equal(doc.event.dataset, INVESTIGATION_DATASET);
      assert.equal(doc.email.message_id, ID_A);
      assert.deepEqual(doc.email.to.address, [doc.user.email]);
      assert.equal(doc.related.user[0], doc.user.email);
      assert.equal(doc['@timestamp'], '2026-01-21T08:00:03.500Z');
      assert.equal(doc.cloud.account.id, '11111111-2222-3333-4444-555555555555');
      assert.equal(doc.mailtrace.investigation.run_id, 'run-1');
      assert.equal(doc.mailtrace.investigation.complete, false);
    }
  });

  it('a copy carries its folder, read state, Graph id and delivery time', () => {
    const [inbox, recoverable] = byAction(investigationToEcs(sample()), 'message-found');
    assert.ok(inbox && recoverable);
    assert.equal(inbox.event.outcome, 'success');
    assert.equal(inbox.email.local_id, 'AAMkAG-1');
    assert.equal(inbox.email.subject, 'Invoice overdue');
    assert.deepEqual(inbox.email.from?.address, ['billing@evil.example']);
    assert.equal(inbox.email.delivery_timestamp, '2026-01-20T10:00:00.000Z');
    assert.deepEqual(inbox.related.user, ['Adele@contoso.com', 'billing@evil.example']);
    assert.equal(inbox.user.full_name, 'Adele Vance');
    assert.deepEqual(inbox.mailtrace.investigation, {
      run_id: 'run-1',
      scope: 'trace+sweep',
      complete: false,
      tenant: 'contoso',
      outcome: 'found',
      mailbox_kind: 'member',
      trace_status: 'delivered',
      reconciliation: 'delivered → now in Inbox, unread',
      graph_id: 'AAMkAG-1',
      folder_id: 'f-inbox',
      folder: 'Inbox',
      is_read: false,
    });
    // An unresolved folder name is left out (not null), the well-known name says where it is.
    assert.equal(recoverable.mailtrace.investigation.folder, undefined);
    assert.equal(recoverable.mailtrace.investigation.well_known_folder, 'recoverableitemsdeletions');
    assert.equal(recoverable.mailtrace.investigation.is_read, true);
  });

  it('not found uses the trace row for subject and sender; not searched keeps reason, detail and request id', () => {
    const docs = investigationToEcs(sample());
    const [missing] = byAction(docs, 'message-not-found');
    assert.equal(missing?.event.outcome, 'success');
    assert.equal(missing?.email.subject, 'Invoice overdue');
    assert.equal(missing?.email.local_id, undefined);
    const [denied, cancelled] = byAction(docs, 'mailbox-not-searched');
    assert.equal(denied?.event.outcome, 'failure');
    assert.equal(denied?.event.reason, 'excluded by an application access policy');
    assert.equal(denied?.mailtrace.investigation.reason, 'accessDenied');
    assert.equal(denied?.mailtrace.investigation.request_id, 'req-123');
    assert.equal(denied?.email.subject, undefined, 'no trace row for this recipient');
    assert.equal(cancelled?.event.outcome, 'unknown');
    assert.equal(cancelled?.user.id, undefined);
  });

  it('event ids are deterministic, distinct, and change with the run id', () => {
    const first = investigationToEcs(sample()).map((d) => d.event.id);
    const again = investigationToEcs(sample()).map((d) => d.event.id);
    assert.deepEqual(first, again);
    assert.equal(new Set(first).size, first.length);
    for (const id of first) assert.match(id, /^[0-9a-f]{64}$/);
    const other = investigationToEcs({ ...sample(), runId: 'run-2' }).map((d) => d.event.id);
    assert.ok(other.every((id) => !first.includes(id)));
  });

  it('several message ids: a found mailbox without a copy of one id is "not found" for that id', () => {
    const docs = investigationToEcs(sample([ID_A, ID_B]));
    const adeleB = docs.filter((d) => d.user.email === 'Adele@contoso.com' && d.email.message_id === ID_B);
    assert.equal(adeleB.length, 1);
    assert.equal(adeleB[0]?.event.action, 'message-not-found');
    assert.equal(adeleB[0]?.mailtrace.investigation.outcome, 'notFound');
    // The trace row cannot be tied to one of two ids: no subject borrowed from it.
    const alex = docs.filter((d) => d.user.email === 'alex@contoso.com');
    assert.ok(alex.every((d) => d.email.subject === undefined));
    assert.equal(docs.length, 2 + 3 * 2 + 1, '2 copies of A, three other outcomes per id, Adele for B');
    assert.equal(new Set(docs.map((d) => d.event.id)).size, docs.length);
  });

  it('per-id lines: each line gives documents for its own id only, with that id’s trace row', () => {
    const base = sample([ID_A, ID_B]);
    const adele = base.mailboxes[0]!;
    const alex = base.mailboxes[1]!;
    const input: InvestigationEcsInput = {
      ...base,
      trace: [
        { ...base.trace[0]!, messageId: ID_B, subject: 'Second wave', traceId: 't-2' },
        { ...base.trace[0]!, messageId: ID_A },
      ],
      mailboxes: [
        { ...adele, messageId: ID_A },
        { ...adele, messageId: ID_B, outcome: 'notFound', copies: [] },
        { ...alex, messageId: ID_A },
        { ...alex, messageId: ID_B },
      ],
    };
    const docs = investigationToEcs(input);
    assert.equal(docs.length, 2 + 1 + 1 + 1);
    assert.equal(new Set(docs.map((d) => d.event.id)).size, docs.length);
    for (const doc of docs) assert.deepEqual(checkInvestigationEcsTypes(doc), []);
    const alexDocs = docs.filter((d) => d.user.email === 'alex@contoso.com');
    assert.deepEqual(
      alexDocs.map((d) => [d.email.message_id, d.email.subject]),
      [
        [ID_A, 'Invoice overdue'],
        [ID_B, 'Second wave'],
      ],
    );
    // The same line gives the same id whether or not the result was split by message id first.
    const legacy = investigationToEcs(sample([ID_A, ID_B]));
    const adeleB = (list: InvestigationEcsDocument[]) =>
      list.find((d) => d.user.email === 'Adele@contoso.com' && d.email.message_id === ID_B)?.event.id;
    assert.equal(adeleB(docs), adeleB(legacy));
  });

  it('the checker rejects undeclared fields, nulls and wrong types', () => {
    const [doc] = investigationToEcs(sample());
    const bad = structuredClone(doc) as unknown as Record<string, Record<string, unknown>>;
    bad.mailtrace!.investigation = { is_read: 'yes', folder: null, surprise: 1 };
    const problems = checkInvestigationEcsTypes(bad);
    assert.ok(problems.some((p) => p.startsWith('mailtrace.investigation.is_read: expected a boolean')));
    assert.ok(problems.some((p) => p.startsWith('mailtrace.investigation.folder: expected a string')));
    assert.ok(problems.some((p) => p.includes('surprise: field is not declared')));
  });
});

describe('investigationToEcs on a real investigation of the seeded campaign', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ users: 120, seed: 11 });
  });
  after(() => fx.close());

  it('every mailbox outcome and copy is one valid document; no secret or token in any', async () => {
    const tenant = fx.tenants[0]!;
    const messageId = tenant.campaign!.internetMessageId;
    const report = await investigate({
      client: fx.clients[0]!,
      tenant: 'sim',
      messageIds: [messageId],
      scope: 'trace',
      addSweep: true,
      now: () => fx.sim.clock.nowMs(),
    });
    const docs = investigationToEcs(report, { tenantId: tenant.tenantId });
    const copies = report.mailboxes.reduce((n, m) => n + m.copies.length, 0);
    const withoutCopy = report.mailboxes.filter((m) => m.copies.length === 0).length;
    assert.ok(copies > 0 && withoutCopy > 0);
    assert.equal(docs.length, copies + withoutCopy);
    for (const doc of docs) assert.deepEqual(checkInvestigationEcsTypes(doc), [], doc.user.email);
    assert.equal(byAction(docs, 'mailbox-not-searched').length, report.counts.notSearched);
    for (const doc of byAction(docs, 'message-found')) {
      const expected = tenant.copies.find((c) => c.graphId === doc.email.local_id);
      assert.ok(expected, `${doc.email.local_id} is a real copy`);
      assert.equal(doc.mailtrace.investigation.is_read, expected.isRead);
    }
    const text = JSON.stringify(docs);
    for (const app of tenant.apps)
      for (const secret of app.secrets) assert.ok(!text.includes(secret.value), 'a client secret leaked');
    assert.ok(!/eyJ[\w-]+\.[\w-]+\./.test(text), 'something shaped like a JWT leaked');
  });
});
