// Joins message trace rows with mailbox outcomes by recipient address, so each mailbox line says what trace
// reported for it and each trace recipient outside the searched mailboxes (a group, an external address) is still
// accounted for.
import type { MailboxOutcome, TraceRecipient } from './model.ts';
import { normalizeTraceStatus, reconcile } from './reconcile.ts';

export interface TraceOnlyLine {
  recipient: TraceRecipient;
  reconciliation: string;
}

/**
 * Returns new outcomes with traceStatus and a trace-aware reconciliation. A recipient with several rows (the same
 * message traced twice) takes the first row's status: trace lists newest first.
 */
export function applyTrace(
  mailboxes: readonly MailboxOutcome[],
  trace: readonly TraceRecipient[],
): MailboxOutcome[] {
  const byAddress = firstRowByAddress(trace);
  return mailboxes.map((m) => {
    const row = byAddress.get(m.mailbox.address.toLowerCase());
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
 * Trace recipients that match no mailbox in the list, each with its own line
 * (e.g. "expanded (distribution group)").
 */
export function traceOnlyRecipients(
  mailboxes: readonly MailboxOutcome[],
  trace: readonly TraceRecipient[],
): TraceOnlyLine[] {
  const searched = new Set(mailboxes.map((m) => m.mailbox.address.toLowerCase()));
  const lines: TraceOnlyLine[] = [];
  for (const recipient of firstRowByAddress(trace).values()) {
    if (searched.has(recipient.address.toLowerCase())) continue;
    lines.push({
      recipient,
      reconciliation: reconcile({ traceConsulted: true, traceStatus: recipient.status, mailbox: undefined }),
    });
  }
  return lines;
}

function firstRowByAddress(trace: readonly TraceRecipient[]): Map<string, TraceRecipient> {
  const byAddress = new Map<string, TraceRecipient>();
  for (const row of trace) {
    const key = row.address.toLowerCase();
    if (!byAddress.has(key)) byAddress.set(key, row);
  }
  return byAddress;
}
