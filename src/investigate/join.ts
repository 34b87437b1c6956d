// Joins message trace rows with mailbox outcomes by (message id, recipient address), so each line says what trace
// reported for that recipient *and that message*, and each trace recipient outside the searched mailboxes (a group,
// an external address) is still accounted for. Keyed by id as well as address: with several ids, a mailbox that
// received one of them must not inherit the trace status of another.
import type { MailboxOutcome, TraceRecipient } from './model.ts';
import { normalizeTraceStatus, reconcile } from './reconcile.ts';

export interface TraceOnlyLine {
  recipient: TraceRecipient;
  reconciliation: string;
}

/**
 * Returns new outcomes with traceStatus and a trace-aware reconciliation. A recipient with several rows for one id
 * (the same message traced twice) takes the first row's status: trace lists newest first. A line without a
 * messageId (a run saved before lines were per id) takes the first row of its address, whatever the id.
 */
export function applyTrace(
  mailboxes: readonly MailboxOutcome[],
  trace: readonly TraceRecipient[],
): MailboxOutcome[] {
  const byRecipient = firstRowByRecipient(trace);
  const byAddress = firstRowByAddress(trace);
  return mailboxes.map((m) => {
    const address = m.mailbox.address.toLowerCase();
    const row =
      m.messageId === undefined
        ? byAddress.get(address)
        : (byRecipient.get(recipientKey(m.messageId, address)) ??
          // A row read before rows carried their id (old saved run): only trustworthy when it has no id at all.
          byRecipient.get(recipientKey(undefined, address)));
    const { traceStatus: _old, ...rest } = m;
    const joined: MailboxOutcome = row
      ? { ...rest, traceStatus: normalizeTraceStatus(row.status) }
      : { ...rest };
    joined.reconciliation = reconcile({
      traceConsulted: true,
      traceStatus: joined.traceStatus,
      mailbox: joined,
    });
    return joined;
  });
}

/**
 * Trace recipients that are no mailbox line at all, one line per (message id, address), each with its own
 * reconciliation (e.g. "expanded (distribution group)").
 */
export function traceOnlyRecipients(
  mailboxes: readonly MailboxOutcome[],
  trace: readonly TraceRecipient[],
): TraceOnlyLine[] {
  const searched = new Set(mailboxes.map((m) => m.mailbox.address.toLowerCase()));
  const lines: TraceOnlyLine[] = [];
  for (const recipient of firstRowByRecipient(trace).values()) {
    if (searched.has(recipient.address.toLowerCase())) continue;
    lines.push({
      recipient,
      reconciliation: reconcile({ traceConsulted: true, traceStatus: recipient.status, mailbox: undefined }),
    });
  }
  return lines;
}

function recipientKey(messageId: string | undefined, address: string): string {
  return `${(messageId ?? '').toLowerCase()}\n${address.toLowerCase()}`;
}

function firstRowByRecipient(trace: readonly TraceRecipient[]): Map<string, TraceRecipient> {
  const byRecipient = new Map<string, TraceRecipient>();
  for (const row of trace) {
    const key = recipientKey(row.messageId, row.address);
    if (!byRecipient.has(key)) byRecipient.set(key, row);
  }
  return byRecipient;
}

function firstRowByAddress(trace: readonly TraceRecipient[]): Map<string, TraceRecipient> {
  const byAddress = new Map<string, TraceRecipient>();
  for (const row of trace) {
    const key = row.address.toLowerCase();
    if (!byAddress.has(key)) byAddress.set(key, row);
  }
  return byAddress;
}
