// Investigation results as the CLI's output layer wants them: data for JSON, and tables for the terminal, CSV,
// Markdown and HTML. The summary counts every mailbox in scope (found, not found, not searched by reason), so a
// reader sees at once what was not checked. Pure: no I/O.

import { type MailboxOutcome, NOT_SEARCHED_REASONS } from '../../investigate/model.ts';
import { type Observable, observablesOf } from '../../investigate/observables.ts';
import type { InvestigationReport } from '../../investigate/run.ts';
import type { CommandOutput, Table } from '../output.ts';

/** One tenant of an investigation: its report, or why it was not searched (e.g. sign-in failed). */
export interface TenantInvestigation {
  tenant: string;
  report?: InvestigationReport;
  notSearched?: string;
}

/** Past this many mailboxes, terminal-style views list only the mailboxes that are not "not found". */
export const LIST_ALL_LIMIT = 200;

export interface ReportOptions {
  /** CSV holds one table: the per-mailbox one, complete, goes first. */
  format?: string;
}

export function investigationData(tenants: readonly TenantInvestigation[]): unknown {
  const observables = tenants.flatMap((t) => (t.report ? observablesOf(t.report) : []));
  const complete = tenants.every((t) => t.report?.complete === true);
  if (tenants.length === 1 && tenants[0]!.report) return { ...tenants[0]!.report, observables };
  return {
    complete,
    tenants: tenants.map((t) => (t.report ? t.report : { tenant: t.tenant, notSearched: t.notSearched })),
    observables,
  };
}

export function investigationOutput(
  tenants: readonly TenantInvestigation[],
  options: ReportOptions = {},
): CommandOutput {
  const reports = tenants.flatMap((t) => (t.report ? [t.report] : []));
  const multi = tenants.length > 1;
  const total = reports.reduce((n, r) => n + r.mailboxes.length, 0);
  const listAll = options.format === 'csv' || options.format === 'json' || total <= LIST_ALL_LIMIT;
  const mailboxTable = mailboxesTable(reports, multi, listAll);
  const tables: Table[] =
    options.format === 'csv'
      ? [mailboxTable]
      : [summaryTable(tenants), mailboxTable, traceOnlyTable(reports, multi), observablesTable(reports)];
  const notes: string[] = [];
  for (const t of tenants)
    if (t.notSearched) notes.push(`Tenant ${t.tenant} was not searched: ${t.notSearched}.`);
  for (const r of reports) {
    notes.push(`${multi ? `${r.tenant}: ` : ''}scope ${r.scope}: ${r.scopeReason}.`);
    if (!r.complete)
      notes.push(`${multi ? `${r.tenant}: ` : ''}INCOMPLETE: resume with --resume ${r.runId}.`);
  }
  if (!listAll)
    notes.push(
      `Mailboxes where the message was not found are left out of the list above (${total.toLocaleString('en-US')} in scope); --output csv or json lists every one.`,
    );
  const ids = reports[0]?.messageIds ?? [];
  return {
    data: investigationData(tenants),
    tables: tables.filter((t) => t.rows.length > 0 || t === mailboxTable),
    notes,
    title: `Investigation of ${ids.join(', ') || 'message ids'}`,
  };
}

function summaryTable(tenants: readonly TenantInvestigation[]): Table {
  const searched = tenants.filter((t) => t.report);
  const metric = (label: string, value: (r: InvestigationReport) => string | number) => ({
    metric: label,
    ...Object.fromEntries(searched.map((t, i) => [`t${i}`, value(t.report!)])),
  });
  const rows = [
    metric('scope', (r) => r.scope),
    metric('complete', (r) => (r.complete ? 'yes' : 'NO (partial)')),
    metric('mailboxes in scope', (r) => r.counts.inScope),
    metric('searched', (r) => r.counts.searched),
    metric('found', (r) => r.counts.found),
    metric('copies', (r) => r.counts.copies),
    metric('not found', (r) => r.counts.notFound),
    metric('not searched', (r) => r.counts.notSearched),
    ...NOT_SEARCHED_REASONS.filter((reason) =>
      searched.some((t) => t.report!.counts.notSearchedByReason[reason] > 0),
    ).map((reason) => metric(`  not searched: ${reason}`, (r) => r.counts.notSearchedByReason[reason])),
    metric('trace recipients outside the tenant', (r) => r.traceOnly.length),
    metric('duration (s)', (r) => (r.durationMs / 1000).toFixed(1)),
    metric('Graph requests', (r) => r.graphRequests),
    metric('  of which message trace', (r) => r.traceRequests),
  ];
  return {
    title: 'Summary',
    columns: [
      { key: 'metric', header: '' },
      ...searched.map((t, i) => ({ key: `t${i}`, header: t.tenant, align: 'right' as const })),
    ],
    rows,
  };
}

function mailboxesTable(reports: readonly InvestigationReport[], multi: boolean, listAll: boolean): Table {
  const rows = reports.flatMap((r) =>
    r.mailboxes
      .filter((m) => listAll || m.outcome !== 'notFound')
      .map((m) => ({
        ...(multi ? { tenant: r.tenant } : {}),
        mailbox: m.mailbox.address,
        trace: m.traceStatus ?? '',
        outcome: m.outcome === 'notSearched' ? `notSearched (${m.reason ?? 'error'})` : m.outcome,
        copies: copiesText(m),
        reconciliation: m.reconciliation,
        requestId: m.requestId ?? '',
      })),
  );
  return {
    title: 'Mailboxes',
    columns: [
      ...(multi ? [{ key: 'tenant', header: 'Tenant' }] : []),
      { key: 'mailbox', header: 'Mailbox' },
      { key: 'trace', header: 'Trace status' },
      { key: 'outcome', header: 'Outcome' },
      { key: 'copies', header: 'Copies (folder, read)' },
      { key: 'reconciliation', header: 'Reconciliation' },
      { key: 'requestId', header: 'Request id' },
    ],
    rows,
  };
}

function copiesText(m: MailboxOutcome): string {
  return m.copies.map((c) => `${c.folderName ?? c.folderId} (${c.isRead ? 'read' : 'unread'})`).join('; ');
}

function traceOnlyTable(reports: readonly InvestigationReport[], multi: boolean): Table {
  return {
    title: 'Trace recipients that are not mailboxes of the tenant',
    columns: [
      ...(multi ? [{ key: 'tenant', header: 'Tenant' }] : []),
      { key: 'address', header: 'Recipient' },
      { key: 'status', header: 'Trace status' },
      { key: 'reconciliation', header: 'Reconciliation' },
    ],
    rows: reports.flatMap((r) =>
      r.traceOnly.map((l) => ({
        ...(multi ? { tenant: r.tenant } : {}),
        address: l.recipient.address,
        status: l.recipient.status,
        reconciliation: l.reconciliation,
      })),
    ),
  };
}

function observablesTable(reports: readonly InvestigationReport[]): Table {
  const observables: Observable[] = reports.flatMap((r) => observablesOf(r));
  return {
    title: 'Observables',
    columns: [
      { key: 'recipient', header: 'Recipient' },
      { key: 'subject', header: 'Subject' },
      { key: 'sender', header: 'Sender' },
      { key: 'folder', header: 'Folder' },
      { key: 'o365_id', header: 'o365_id' },
    ],
    rows: observables.map((o) => ({ ...o })),
  };
}
