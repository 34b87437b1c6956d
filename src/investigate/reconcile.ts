// Reconciliation: what message trace says happened to a recipient, joined with what the mailbox search found, in
// one plain-words line a responder can act on ("delivered → now in Deleted Items, read"). Pure: no I/O.
import type { Copy, MailboxOutcome, NotSearchedReason } from './model.ts';

export interface ReconcileInput {
  /** Whether message trace was part of the scope: without it there is no left-hand side to compare with. */
  traceConsulted: boolean;
  /** The recipient's trace status (v1.0 camelCase or beta PascalCase), undefined when trace has no row. */
  traceStatus: string | undefined;
  /** The mailbox side; undefined when the recipient was not in the searched scope (trace-only rows). */
  mailbox:
    | Pick<MailboxOutcome, 'outcome' | 'reason' | 'detail' | 'requestId' | 'copies' | 'mailbox'>
    | undefined;
}

const ARROW = '→';

/** Trace statuses after which the message is not expected in the mailbox. */
const NOT_DELIVERED = new Set(['quarantined', 'failed', 'recalled']);
const TRANSIENT = new Set(['pending', 'gettingStatus']);

/** 'Delivered' (beta) and 'delivered' (v1.0) alike → 'delivered'. */
export function normalizeTraceStatus(status: string): string {
  const trimmed = status.trim();
  if (/^[A-Z]{2,}$/.test(trimmed)) return trimmed.toLowerCase();
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

export function reconcile(input: ReconcileInput): string {
  const status = input.traceStatus === undefined ? undefined : normalizeTraceStatus(input.traceStatus);
  const left = !input.traceConsulted ? undefined : (status ?? 'not in trace');
  const right = mailboxSide(status, input.traceConsulted, input.mailbox);
  if (status === 'expanded') return 'expanded (distribution group)';
  return left === undefined ? right : `${left} ${ARROW} ${right}`;
}

function mailboxSide(
  status: string | undefined,
  traceConsulted: boolean,
  mailbox: ReconcileInput['mailbox'],
): string {
  if (mailbox === undefined) return 'mailbox not in the searched scope';
  if (mailbox.outcome === 'notSearched') return `not searched: ${reasonWords(mailbox)}`;
  if (mailbox.outcome === 'notFound') return notFoundWords(status, traceConsulted);
  return foundWords(status, traceConsulted, mailbox.copies);
}

function notFoundWords(status: string | undefined, traceConsulted: boolean): string {
  if (!traceConsulted) return 'not found';
  if (status === undefined) return 'not found';
  if (NOT_DELIVERED.has(status)) return 'not in mailbox (expected)';
  if (TRANSIENT.has(status)) return 'not found (delivery may still be in progress)';
  return 'not found (moved to archive or purged)';
}

function foundWords(status: string | undefined, traceConsulted: boolean, copies: readonly Copy[]): string {
  const where = copiesWords(copies, status);
  if (!traceConsulted) return where;
  if (status === undefined) return `found: ${where.replace(/^now /, '')} (forwarded, BCC or journal copy?)`;
  if (status === 'quarantined') return `${where} (released from quarantine?)`;
  if (status === 'failed' || status === 'recalled') return `${where} (unexpected after ${status})`;
  return where;
}

/** "now in Deleted Items, read", or "2 copies: Inbox (unread), Deleted Items (read)". */
export function copiesWords(copies: readonly Copy[], status?: string): string {
  if (copies.length === 1) {
    const copy = copies[0]!;
    // Spam filtering puts the message in Junk Email: say where it is, without "now", since it never moved.
    const verb = status === 'filteredAsSpam' && isJunk(copy) ? 'in' : 'now in';
    return `${verb} ${folderWords(copy)}, ${copy.isRead ? 'read' : 'unread'}`;
  }
  const list = copies.map((copy) => `${folderWords(copy)} (${copy.isRead ? 'read' : 'unread'})`).join(', ');
  return `${copies.length} copies: ${list}`;
}

function isJunk(copy: Copy): boolean {
  return copy.wellKnownName === 'junkemail' || copy.folderName === 'Junk Email';
}

function folderWords(copy: Copy): string {
  // "Deletions" alone means nothing to most readers; say it is the hidden Recoverable Items store.
  if (copy.wellKnownName === 'recoverableitemsdeletions')
    return `Recoverable Items (${copy.folderName ?? 'Deletions'})`;
  return copy.folderName ?? 'an unresolved folder';
}

const REASON_WORDS: Record<NotSearchedReason, string> = {
  noMailbox: 'no Exchange Online mailbox',
  mailboxNotFound: 'mailbox not found',
  accessDenied: 'excluded by application access policy',
  throttled: 'throttled past the retry budget',
  error: 'error',
  cancelled: 'run cancelled before this mailbox was searched',
};

function reasonWords(mailbox: NonNullable<ReconcileInput['mailbox']>): string {
  const reason = mailbox.reason ?? 'error';
  if (reason === 'noMailbox' && mailbox.mailbox.kind === 'guest')
    return 'guest account (no mailbox in this tenant)';
  if (reason === 'error') {
    const what = mailbox.detail === undefined ? 'error' : `error (${mailbox.detail})`;
    return mailbox.requestId === undefined ? what : `${what}, request-id ${mailbox.requestId}`;
  }
  return REASON_WORDS[reason];
}
