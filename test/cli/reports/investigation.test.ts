// Reports from a hand-made result: the summary counts every outcome, large sweeps list only what matters in the
// terminal, CSV keeps every mailbox, observables carry the playbook's fields, and HTML escapes hostile text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render, renderHtml } from '../../../src/cli/output.ts';
import {
  investigationData,
  investigationOutput,
  LIST_ALL_LIMIT,
} from '../../../src/cli/reports/investigation.ts';
import { countOutcomes, type MailboxOutcome } from '../../../src/investigate/model.ts';
import { observablesOf } from '../../../src/investigate/observables.ts';
import type { InvestigationReport } from '../../../src/investigate/run.ts';

const HOSTILE = '<img src=x onerror=alert(1)>|`"\'';

function found(address: string): MailboxOutcome {
  return {
    mailbox: { id: address, address },
    outcome: 'found',
    copies: [
      {
        internetMessageId: '<m@x>',
        graphId: `g-${address}`,
        folderId: 'f',
        folderName: 'Inbox',
        receivedDateTime: '2026-02-01T00:00:00Z',
        isRead: true,
        subject: HOSTILE,
        from: 'evil@x.example',
      },
    ],
    reconciliation: 'delivered → now in Inbox, read',
    traceStatus: 'delivered',
  };
}

function outcome(address: string, kind: 'notFound' | 'notSearched'): MailboxOutcome {
  return {
    mailbox: { id: address, address },
    outcome: kind,
    ...(kind === 'notSearched' ? { reason: 'accessDenied' as const, requestId: 'req-1' } : {}),
    copies: [],
    reconciliation: kind === 'notFound' ? 'not found' : 'not searched: excluded by application access policy',
  };
}

function reportOf(
  mailboxes: MailboxOutcome[],
  extra: Partial<InvestigationReport> = {},
): InvestigationReport {
  return {
    runId: 'run-1',
    messageIds: ['<m@x>'],
    tenant: 'contoso',
    startedAt: '2026-02-01T00:00:00.000Z',
    endedAt: '2026-02-01T00:00:01.000Z',
    durationMs: 1000,
    complete: true,
    scope: 'trace',
    scopeReason: 'trace first',
    graphRequests: 12,
    subRequests: 4,
    traceRequests: 9,
    counts: countOutcomes(mailboxes),
    countsByMessageId: [{ messageId: '<m@x>', counts: countOutcomes(mailboxes) }],
    trace: [],
    traceFailures: [],
    traceOnly: [],
    mailboxes,
    ...extra,
  };
}

describe('investigation reports', () => {
  const report = reportOf([found('a@x'), outcome('b@x', 'notFound'), outcome('c@x', 'notSearched')]);

  it('summarises the counts by outcome and reason', () => {
    const out = investigationOutput([{ tenant: 'contoso', report }]);
    const summary = out.tables[0]!;
    const value = (metric: string) => summary.rows.find((r) => r.metric === metric)?.t0;
    assert.equal(value('mailboxes in scope'), 3);
    assert.equal(value('found'), 1);
    assert.equal(value('not found'), 1);
    assert.equal(value('  not searched: accessDenied'), 1);
    assert.equal(value('Graph requests'), 12);
    const text = render(out, 'table', { color: false });
    assert.match(text, /req-1/);
  });

  it('JSON is the result plus observables with the playbook fields', () => {
    const data = investigationData([{ tenant: 'contoso', report }]) as Record<string, unknown>;
    assert.equal(data.runId, 'run-1');
    assert.deepEqual(data.observables, observablesOf(report));
    assert.deepEqual(Object.keys((data.observables as object[])[0]!).sort(), [
      'folder',
      'is_read',
      'o365_id',
      'recipient',
      'sender',
      'source',
      'subject',
      'tenant',
      'type',
      'value',
    ]);
  });

  it('a large sweep lists only found and not-searched mailboxes in the terminal, every one in CSV', () => {
    const many = Array.from({ length: LIST_ALL_LIMIT + 5 }, (_, i) => outcome(`n${i}@x`, 'notFound'));
    const big = reportOf([found('a@x'), ...many]);
    const table = investigationOutput([{ tenant: 'contoso', report: big }]);
    assert.equal(table.tables[1]!.rows.length, 1);
    assert.ok(table.notes?.some((n) => n.includes('left out')));
    const csv = investigationOutput([{ tenant: 'contoso', report: big }], { format: 'csv' });
    assert.equal(csv.tables[0]!.rows.length, LIST_ALL_LIMIT + 6);
  });

  it('several tenants: per-tenant columns, a tenant not searched is said, and the whole is incomplete', () => {
    const out = investigationOutput([
      { tenant: 'contoso', report },
      { tenant: 'fabrikam', notSearched: 'sign-in failed: invalid client secret' },
    ]);
    assert.equal((out.data as { complete: boolean }).complete, false);
    assert.ok(out.notes?.some((n) => n.includes('fabrikam was not searched: sign-in failed')));
    assert.equal(out.tables[1]!.columns[0]!.key, 'tenant');
  });

  it('an incomplete run says how to resume it', () => {
    const out = investigationOutput([{ tenant: 'contoso', report: { ...report, complete: false } }]);
    assert.ok(out.notes?.some((n) => n.includes('--resume run-1')));
  });

  it('HTML and Markdown never carry markup from message data', () => {
    const out = investigationOutput([{ tenant: 'contoso', report }]);
    const html = renderHtml(out);
    assert.ok(!html.includes('<img'));
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    const md = render(out, 'md', { color: false });
    assert.ok(!md.includes('<img'));
    assert.ok(md.includes('\\|'), 'pipes escaped in cells');
  });
});
