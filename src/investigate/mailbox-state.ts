// One mailbox's search for one message id as it happens: the answers absorbed so far, and the single outcome they
// come to. Kept apart from the sweep's scheduling so that the rules deciding found / notFound / notSearched sit in
// one place.

import type { BatchResult } from '../graph/batch.ts';
import { GraphError } from '../graph/errors.ts';
import { type Classified, classifyFailure } from './classify.ts';
import type { Copy, MailboxOutcome, MailboxRef } from './model.ts';
import { reconcile } from './reconcile.ts';
import {
  type FoundMessage,
  mailboxKey,
  readMessagePage,
  type SearchPart,
  toCopy,
} from './search-requests.ts';

export interface MailboxState {
  ref: MailboxRef;
  /** The mailbox's key: how it is addressed and limited (several states, one per id, share it). */
  key: string;
  /** The message id this state searches for, and its index in the run's list (item ids carry the index). */
  messageId: string;
  index: number;
  pending: number;
  copies: Map<string, Copy>;
  failures: { part: SearchPart; error: unknown }[];
  /** Messages returned whose internetMessageId was not the one asked for (ignored, but said). */
  mismatched: number;
  outcome?: MailboxOutcome;
}

export interface SearchTarget {
  mailbox: MailboxRef;
  messageId: string;
}

/** The key of one (mailbox, message id) state, as item ids give it back. */
export function stateKey(key: string, index: number): string {
  return `${index}|${key}`;
}

/**
 * One state per distinct (mailbox, message id), in the order given; a target whose id is not one of the run's is
 * ignored (it cannot be asked for).
 */
export function uniqueStates(targets: readonly SearchTarget[], messageIds: readonly string[]): MailboxState[] {
  const seen = new Set<string>();
  const states: MailboxState[] = [];
  for (const { mailbox: ref, messageId } of targets) {
    const key = mailboxKey(ref);
    const index = messageIds.indexOf(messageId);
    if (index < 0 || seen.has(stateKey(key, index))) continue;
    seen.add(stateKey(key, index));
    states.push({ ref, key, messageId, index, pending: 0, copies: new Map(), failures: [], mismatched: 0 });
  }
  return states;
}

/** Records one search answer; returns the nextLink when the answer has more pages. */
export function absorb(
  state: MailboxState,
  result: BatchResult,
  messageId: string,
  part: SearchPart,
): string | undefined {
  if (!result.ok) {
    state.failures.push({ part, error: result.error });
    return undefined;
  }
  const page = readMessagePage(result.body);
  addCopies(state, page.messages, messageId, part);
  return page.nextLink;
}

export function addCopies(
  state: MailboxState,
  messages: readonly FoundMessage[],
  messageId: string,
  part: SearchPart,
) {
  for (const message of messages) {
    // Defence in depth: whatever the service did with the filter, only the asked-for id counts as a copy.
    if (message.internetMessageId.toLowerCase() !== messageId.toLowerCase()) {
      state.mismatched++;
      continue;
    }
    if (!state.copies.has(message.graphId))
      state.copies.set(message.graphId, toCopy(message, messageId, part));
  }
}

/** The outcome of a mailbox whose requests have all answered. */
export function settleMailbox(state: MailboxState): MailboxOutcome {
  const copies = [...state.copies.values()].sort(byReceivedThenFolder);
  const notes: string[] = [];
  if (state.mismatched > 0)
    notes.push(`ignored ${state.mismatched} message(s) with a different internetMessageId`);
  const failure = state.failures.find((f) => f.part === 'messages') ?? state.failures[0];
  if (failure && copies.length === 0) {
    const classified = classifyFailure(failure.error);
    const partial = failure.part === 'recoverable' ? 'Recoverable Items could not be searched: ' : '';
    return notSearched(state, { ...classified, detail: partial + classified.detail }, notes);
  }
  if (failure) {
    const classified = classifyFailure(failure.error);
    notes.push(
      `${failure.part === 'recoverable' ? 'Recoverable Items' : 'a folder query'} failed: ${classified.detail}`,
    );
  }
  const requestId = failure && failure.error instanceof GraphError ? failure.error.requestId : undefined;
  const outcome: MailboxOutcome = {
    mailbox: state.ref,
    messageId: state.messageId,
    outcome: copies.length > 0 ? 'found' : 'notFound',
    ...(notes.length > 0 ? { detail: notes.join('; ') } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    copies,
    reconciliation: '',
  };
  outcome.reconciliation = reconcile({ traceConsulted: false, traceStatus: undefined, mailbox: outcome });
  return outcome;
}

/** A mailbox the run never finished: copies already found still count; otherwise the stop reason. */
export function unfinished(state: MailboxState, stopped: Classified): MailboxOutcome {
  if (state.copies.size > 0) {
    const outcome = settleMailbox(state);
    const note = 'search interrupted: more copies may exist';
    outcome.detail = outcome.detail === undefined ? note : `${outcome.detail}; ${note}`;
    return outcome;
  }
  return notSearched(state, stopped, []);
}

function notSearched(state: MailboxState, classified: Classified, notes: string[]): MailboxOutcome {
  const detail = [classified.detail, ...notes].join('; ');
  const outcome: MailboxOutcome = {
    mailbox: state.ref,
    messageId: state.messageId,
    outcome: 'notSearched',
    reason: classified.reason,
    detail,
    ...(classified.requestId !== undefined ? { requestId: classified.requestId } : {}),
    copies: [],
    reconciliation: '',
  };
  outcome.reconciliation = reconcile({ traceConsulted: false, traceStatus: undefined, mailbox: outcome });
  return outcome;
}

/** A stable order for reports: oldest first, then by folder name, then by id. */
function byReceivedThenFolder(a: Copy, b: Copy): number {
  return (
    compare(a.receivedDateTime, b.receivedDateTime) ||
    compare(a.folderName ?? '', b.folderName ?? '') ||
    compare(a.graphId, b.graphId)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
