// The result of an investigation: plain JSON-serialisable data that every report (table, JSON, CSV, Markdown,
// HTML, ECS) is rendered from. The one invariant: every (mailbox in scope, message id) pair ends as exactly one of
// found, notFound or notSearched-with-a-reason, and the counts are always derived from that list, never kept by
// hand. One line per pair, not per mailbox: with several ids, "found" for one must never hide "not found" or
// "not searched" for another, and a responder filters the list by id to get that id's answer.

/** 'undecided': the run was stopped while message trace was being read, before the scope could be settled. */
export type Scope = 'trace' | 'sweep' | 'trace+sweep' | 'undecided';

export type Outcome = 'found' | 'notFound' | 'notSearched';

export const NOT_SEARCHED_REASONS = [
  'noMailbox', // 404 MailboxNotEnabledForRESTAPI, or a guest account
  'mailboxNotFound', // 404 ResourceNotFound / ErrorInvalidUser
  'accessDenied', // 403 ErrorAccessDenied: application access policy / RBAC for Applications scope
  'throttled', // 429 still answered after the retries
  'error', // anything else; detail and requestId say what
  'cancelled', // the run was stopped before this mailbox finished
] as const;

export type NotSearchedReason = (typeof NOT_SEARCHED_REASONS)[number];

export interface MailboxRef {
  /** Directory object id, when known (sweeps know it; trace-only recipients may not). */
  id?: string;
  /** SMTP address (mail), or the UPN when the user has no mail attribute. */
  address: string;
  displayName?: string;
  /** The directory's userType, lower-cased. */
  kind?: 'member' | 'guest';
}

/** One copy of a searched message in one mailbox. */
export interface Copy {
  /** Which of the run's message ids this copy is (a run can investigate several). */
  internetMessageId: string;
  /** Graph's per-mailbox message id (o365_id in the playbook's terms). */
  graphId: string;
  folderId: string;
  /** Display name of the folder, or null when it could not be resolved (folderId is still there). */
  folderName: string | null;
  /** Well-known folder name when the search itself tells (a copy found under recoverableitemsdeletions). */
  wellKnownName?: string;
  receivedDateTime: string;
  isRead: boolean;
  subject: string;
  /** Sender address as the message's From header shows it. */
  from: string;
}

export interface MailboxOutcome {
  mailbox: MailboxRef;
  /**
   * The message id (canonical `<…>`) this line answers for. investigate() sets it on every line; it is optional
   * only so that results saved before lines were per id (one line per mailbox for all ids) still read.
   */
  messageId?: string;
  outcome: Outcome;
  /** Set exactly when outcome is notSearched. */
  reason?: NotSearchedReason;
  /** Plain-words explanation of a reason or of a partial search (never holds a secret). */
  detail?: string;
  /** Graph's request-id of the failed request, for Microsoft support. */
  requestId?: string;
  /** Empty unless outcome is found. */
  copies: Copy[];
  /** Message trace status for this recipient, when trace was part of the scope and had a row. */
  traceStatus?: string;
  /** One line joining trace status and mailbox outcome, e.g. "delivered → now in Deleted Items, read". */
  reconciliation: string;
}

export interface TraceRecipient {
  /** The message id whose trace query returned this row (set by traceRecipients; optional for old saved runs). */
  messageId?: string;
  address: string;
  status: string;
  traceId: string;
  receivedDateTime: string;
  sender: string;
  subject: string;
  /** The distribution group address this recipient was expanded from, when known. */
  expandedFrom?: string;
}

export interface OutcomeCounts {
  inScope: number;
  /** found + notFound: the mailboxes that were actually searched. */
  searched: number;
  found: number;
  notFound: number;
  notSearched: number;
  notSearchedByReason: Record<NotSearchedReason, number>;
  /** Copies over all found mailboxes. */
  copies: number;
}

export interface InvestigationResult {
  runId: string;
  /** Canonical `<…>` forms, in the order given. */
  messageIds: string[];
  tenant: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** False when the run was cancelled or stopped before every mailbox in scope ended. */
  complete: boolean;
  scope: Scope;
  /** HTTP requests sent to Graph (a $batch counts once). */
  graphRequests: number;
  /** Over every line: with one message id, lines are mailboxes; with several, (mailbox, id) pairs. */
  counts: OutcomeCounts;
  /** The same counts for each message id alone (countOutcomes over that id's lines), in messageIds order. */
  countsByMessageId: MessageIdCounts[];
  trace: TraceRecipient[];
  mailboxes: MailboxOutcome[];
}

export interface MessageIdCounts {
  messageId: string;
  counts: OutcomeCounts;
}

export function emptyReasonCounts(): Record<NotSearchedReason, number> {
  return Object.fromEntries(NOT_SEARCHED_REASONS.map((reason) => [reason, 0])) as Record<
    NotSearchedReason,
    number
  >;
}

/** The counts of a result, derived from its mailbox list. */
export function countOutcomes(mailboxes: readonly MailboxOutcome[]): OutcomeCounts {
  const counts: OutcomeCounts = {
    inScope: mailboxes.length,
    searched: 0,
    found: 0,
    notFound: 0,
    notSearched: 0,
    notSearchedByReason: emptyReasonCounts(),
    copies: 0,
  };
  for (const m of mailboxes) {
    if (m.outcome === 'found') {
      counts.found++;
      counts.copies += m.copies.length;
    } else if (m.outcome === 'notFound') {
      counts.notFound++;
    } else {
      counts.notSearched++;
      counts.notSearchedByReason[m.reason ?? 'error']++;
    }
  }
  counts.searched = counts.found + counts.notFound;
  return counts;
}

/** The lines of one message id (lines without a messageId belong to every id: results saved before per-id lines). */
export function linesOf(mailboxes: readonly MailboxOutcome[], messageId: string): MailboxOutcome[] {
  return mailboxes.filter((m) => m.messageId === undefined || m.messageId === messageId);
}

export function countByMessageId(
  mailboxes: readonly MailboxOutcome[],
  messageIds: readonly string[],
): MessageIdCounts[] {
  return messageIds.map((messageId) => ({ messageId, counts: countOutcomes(linesOf(mailboxes, messageId)) }));
}

/**
 * One mailbox's answer that holds for every message id alike (a guest, a failed directory lookup, a run saved
 * before lines were per id) as one line per id: each keeps only its own copies, and a mailbox "found" for another
 * id is "notFound" for an id it holds no copy of.
 */
export function perMessageId(outcome: MailboxOutcome, messageIds: readonly string[]): MailboxOutcome[] {
  return messageIds.map((messageId) => {
    const copies = outcome.copies.filter((c) => c.internetMessageId.toLowerCase() === messageId.toLowerCase());
    const line: MailboxOutcome = { ...outcome, messageId, copies };
    if (outcome.outcome === 'found' && copies.length === 0) line.outcome = 'notFound';
    return line;
  });
}

/**
 * Checks the invariant on a list of outcomes: returns what is wrong (empty when all is well). Used by tests and
 * before a report is written, so a broken result is caught rather than published. Given the run's message ids,
 * also checks that every mailbox has exactly one line for each of them.
 */
export function outcomeProblems(
  mailboxes: readonly MailboxOutcome[],
  messageIds?: readonly string[],
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const idsOf = new Map<string, Set<string>>();
  for (const m of mailboxes) {
    const mailboxKey = (m.mailbox.id ?? m.mailbox.address).toLowerCase();
    const key = `${mailboxKey}\n${m.messageId ?? ''}`;
    const who = m.messageId === undefined ? m.mailbox.address : `${m.mailbox.address} (${m.messageId})`;
    if (seen.has(key)) problems.push(`${who} is listed more than once`);
    seen.add(key);
    idsOf.set(mailboxKey, (idsOf.get(mailboxKey) ?? new Set()).add(m.messageId ?? ''));
    if (m.outcome === 'notSearched' && m.reason === undefined)
      problems.push(`${who} is notSearched without a reason`);
    if (m.outcome !== 'notSearched' && m.reason !== undefined)
      problems.push(`${who} is ${m.outcome} with a reason`);
    if (m.outcome === 'found' && m.copies.length === 0) problems.push(`${who} is found without a copy`);
    if (m.outcome !== 'found' && m.copies.length > 0) problems.push(`${who} is ${m.outcome} but has copies`);
    if (m.messageId !== undefined && m.copies.some((c) => c.internetMessageId !== m.messageId))
      problems.push(`${who} holds a copy of another message id`);
  }
  if (messageIds !== undefined) {
    for (const [mailboxKey, ids] of idsOf) {
      const missing = messageIds.filter((id) => !ids.has(id));
      if (missing.length > 0) problems.push(`${mailboxKey} has no line for ${missing.join(', ')}`);
    }
  }
  return problems;
}
