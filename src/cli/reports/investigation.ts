// Investigation results as the CLI's output layer wants them: data for JSON, and tables for the terminal, CSV,
// Markdown and HTML. The summary counts every mailbox in scope (found, not found, not searched by reason), so a
// reader sees at once what was not checked; with several message ids it does so for each id, and every line says
// which id it answers for. Pure: no I/O.

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
  const severalIds = reports.some((r) => r.messageIds.length > 1);
  const total = reports.reduce((n, r) => n + r.mailboxes.length, 0);
  const listAll = options.format === 'csv' || options.format === 'json' || total <= LIST_ALL_LIMIT;
  const mailboxTable = mailboxesTable(reports, multi, listAll, severalIds);
  const tables: Table[] =
    options.format === 'csv'
      ? [mailboxTable]
      : [
          summaryTable(tenants),
          ...(severalIds ? [perMessageIdTable(reports, multi)] : []),
          mailboxTable,
          traceOnlyTable(reports, multi, severalIds),
          traceFailuresTable(reports, multi),
          observablesTable(reports, severalIds),
        ];
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
    metric('message ids', (r) => r.messageIds.length),
    // With several ids a line is a (mailbox, id) pair; the per-id table below splits these counts by id.
    metric(
      searched.some((t) => t.report!.messageIds.length > 1) ? 'mailbox × id lines in scope' : 'mailboxes in scope',
      (r) => r.counts.inScope,
    ),
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

/** Per message id: how many mailboxes hold it, did not, and could not be searched (by reason). */
function perMessageIdTable(reports: readonly InvestigationReport[], multi: boolean): Table {
  return {
    title: 'Per message id',
    columns: [
      ...(multi ? [{ key: 'tenant', header: 'Tenant' }] : []),
      { key: 'messageId', header: 'Message id' },
      { key: 'found', header: 'Found', align: 'right' as const },
      { key: 'copies', header: 'Copies', align: 'right' as const },
      { key: 'notFound', header: 'Not found', align: 'right' as const },
      { key: 'notSearched', header: 'Not searched', align: 'right' as const },
      { key: 'reasons', header: 'Not searched by reason' },
    ],
    rows: reports.flatMap((r) =>
      (r.countsByMessageId ?? []).map(({ messageId, counts }) => ({
        ...(multi ? { tenant: r.tenant } : {}),
        messageId,
        found: counts.found,
        copies: counts.copies,
        notFound: counts.notFound,
        notSearched: counts.notSearched,
        reasons: NOT_SEARCHED_REASONS.filter((reason) => counts.notSearchedByReason[reason] > 0)
          .map((reason) => `${reason} ${counts.notSearchedByReason[reason]}`)
          .join(', '),
      })),
    ),
  };
}

function mailboxesTable(
  reports: readonly InvestigationReport[],
  multi: boolean,
  listAll: boolean,
  severalIds: boolean,
): Table {
  const rows = reports.flatMap((r) =>
    r.mailboxes
      .filter((m) => listAll || m.outcome !== 'notFound')
      .map((m) => ({
        ...(multi ? { tenant: r.tenant } : {}),
        ...(severalIds ? { messageId: m.messageId ?? '' } : {}),
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
      ...(severalIds ? [{ key: 'messageId', header: 'Message id' }] : []),
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

function traceOnlyTable(reports: readonly InvestigationReport[], multi: boolean, severalIds: boolean): Table {
  return {
    title: 'Trace recipients that are not mailboxes of the tenant',
    columns: [
      ...(multi ? [{ key: 'tenant', header: 'Tenant' }] : []),
      ...(severalIds ? [{ key: 'messageId', header: 'Message id' }] : []),
      { key: 'address', header: 'Recipient' },
      { key: 'status', header: 'Trace status' },
      { key: 'reconciliation', header: 'Reconciliation' },
    ],
    rows: reports.flatMap((r) =>
      r.traceOnly.map((l) => ({
        ...(multi ? { tenant: r.tenant } : {}),
        ...(severalIds ? { messageId: l.recipient.messageId ?? '' } : {}),
        address: l.recipient.address,
        status: l.recipient.status,
        reconciliation: l.reconciliation,
      })),
    ),
  };
}

/** Trace windows that failed while others answered: the recipients they hold may be missing from the scope. */
function traceFailuresTable(reports: readonly InvestigationReport[], multi: boolean): Table {
  return {
    title: 'Message trace windows that failed (their recipients may be missing)',
    columns: [
      ...(multi ? [{ key: 'tenant', header: 'Tenant' }] : []),
      { key: 'messageId', header: 'Message id' },
      { key: 'start', header: 'From' },
      { key: 'end', header: 'To' },
      { key: 'detail', header: 'Failure' },
      { key: 'requestId', header: 'Request id' },
    ],
    rows: reports.flatMap((r) =>
      (r.traceFailures ?? []).map((f) => ({
        ...(multi ? { tenant: r.tenant } : {}),
        messageId: f.messageId,
        start: f.start,
        end: f.end,
        detail: f.detail,
        requestId: f.requestId ?? '',
      })),
    ),
  };
}

function observablesTable(reports: readonly InvestigationReport[], severalIds: boolean): Table {
  const observables: Observable[] = reports.flatMap((r) => observablesOf(r));
  return {
    title: 'Observables',
    columns: [
      ...(severalIds ? [{ key: 'value', header: 'Message id' }] : []),
      { key: 'recipient', header: 'Recipient' },
      { key: 'subject', header: 'Subject' },
      { key: 'sender', header: 'Sender' },
      { key: 'folder', header: 'Folder' },
      { key: 'o365_id', header: 'o365_id' },
    ],
    rows: observables.map((o) => ({ ...o })),
  };
}
