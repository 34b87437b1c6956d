// The mailbox sweep: for every mailbox and message id, two GETs (all folders, and Recoverable Items) streamed
// through $batch under the shared per-mailbox limiter; then one batched pass naming the folders the copies sit in.
// Every (mailbox, message id) given ends as found, notFound or notSearched with a reason, cancellation included:
// one answer per id, because a copy of one id says nothing about another.
import { type BatchItem, type BatchOptions, batch } from '../graph/batch.ts';
import type { Limiter } from '../graph/limiter.ts';
import type { RetryPolicy } from '../graph/retry-policy.ts';
import type { Clock, GraphRequest, Send } from '../graph/types.ts';
import { type Classified, classifyFailure } from './classify.ts';
import { resolveFolderNames } from './folders.ts';
import type { MailAccessProbe } from './mail-access.ts';
import {
  absorb,
  addCopies,
  type MailboxState,
  type SearchTarget,
  settleMailbox,
  stateKey,
  unfinished,
  uniqueStates,
} from './mailbox-state.ts';
import type { MailboxOutcome, MailboxRef } from './model.ts';
import { type ReceivedRange, readMessagePage, type SearchPart, searchItem } from './search-requests.ts';

export interface SearchProgress {
  /** (Mailbox, message id) searches that have ended (any outcome); with one id, mailboxes. */
  done: number;
  total: number;
  found: number;
  notSearched: number;
  elapsedMs: number;
  /** Mailboxes per second so far. */
  ratePerSecond: number;
  /** Estimated time to finish at the current rate; undefined before the first mailbox ends. */
  etaMs: number | undefined;
}

export interface SearchMailboxesOptions {
  /** The client's per-mailbox limiter (GraphClient.mailboxLimiter), shared with direct requests. */
  limiter?: Limiter;
  /** $batch requests in flight at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: SearchProgress) => void;
  /** Narrows the search to messages received in this range (message ids are unique anyway; this saves work). */
  received?: ReceivedRange;
  /** Skip naming folders (copies keep folderName null). */
  skipFolderNames?: boolean;
  clock?: Clock;
  policy?: RetryPolicy;
  random?: () => number;
  /** Stops the search early when the app turns out not to be allowed to read mail at all (mail-access.ts). */
  mailAccess?: MailAccessProbe;
}

export interface MailboxSearchResult {
  /** One line per (mailbox, message id), in the order given, duplicates (same id or address) merged. */
  mailboxes: MailboxOutcome[];
  /** False when cancelled or stopped by a failure that was not about one mailbox. */
  complete: boolean;
  /** HTTP requests sent (each $batch once). */
  graphRequests: number;
  /** Requests inside $batch bodies, first attempts only. */
  subRequests: number;
  /** What stopped the run early, when something did (an auth failure, a bug); already reflected in mailboxes. */
  stoppedBy?: Error;
}

/** Searches every mailbox for every message id (mailbox-major, so a mailbox's requests travel together). */
export function searchMailboxes(
  send: Send,
  mailboxes: readonly MailboxRef[],
  messageIds: readonly string[],
  options: SearchMailboxesOptions = {},
): Promise<MailboxSearchResult> {
  const targets = mailboxes.flatMap((mailbox) => messageIds.map((messageId) => ({ mailbox, messageId })));
  return searchTargets(send, targets, messageIds, options);
}

/** Searches the given (mailbox, message id) pairs only: what a resumed run has left to do. */
export async function searchTargets(
  send: Send,
  targets: readonly SearchTarget[],
  messageIds: readonly string[],
  options: SearchMailboxesOptions = {},
): Promise<MailboxSearchResult> {
  const now = (): number => options.clock?.now() ?? Date.now();
  const started = now();
  let graphRequests = 0;
  const counted: Send = <T>(request: GraphRequest) => {
    graphRequests++;
    return send<T>(request);
  };

  const states = uniqueStates(targets, messageIds);
  const byKey = new Map(states.map((s) => [stateKey(s.key, s.index), s]));
  let subRequests = 0;
  let done = 0;
  let found = 0;
  let notSearched = 0;
  const report = (): void => {
    if (!options.onProgress) return;
    const elapsedMs = Math.max(1, now() - started);
    const ratePerSecond = (done * 1000) / elapsedMs;
    const left = states.length - done;
    options.onProgress({
      done,
      total: states.length,
      found,
      notSearched,
      elapsedMs,
      ratePerSecond,
      etaMs: done === 0 ? undefined : left === 0 ? 0 : Math.round(left / (ratePerSecond / 1000)),
    });
  };
  const finish = (state: MailboxState): void => {
    options.mailAccess?.settled(state.failures[0]?.error, states.length);
    state.outcome = settleMailbox(state);
    done++;
    if (state.outcome.outcome === 'found') found++;
    if (state.outcome.outcome === 'notSearched') notSearched++;
    report();
  };

  const items = function* (): Iterable<BatchItem> {
    for (const state of states) {
      for (const part of ['messages', 'recoverable'] as const) {
        state.pending++;
        subRequests++;
        yield searchItem(state.key, part, state.messageId, options.received, itemId(state.key, state.index, part));
      }
    }
  };
  const batchOptions: BatchOptions = {
    ...(options.limiter ? { limiter: options.limiter } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.random ? { random: options.random } : {}),
  };

  let stoppedBy: Error | undefined;
  /** Answers with a nextLink, per mailbox: that mailbox ends only after they are followed. */
  const overflow = new Map<MailboxState, { part: SearchPart; messageId: string; nextLink: string }[]>();
  try {
    for await (const result of batch(counted, items(), batchOptions)) {
      const { key, index, part } = parseItemId(result.id);
      const state = byKey.get(stateKey(key, index));
      if (!state) continue;
      const messageId = state.messageId;
      const nextLink = absorb(state, result, messageId, part);
      if (nextLink !== undefined)
        overflow.set(state, [...(overflow.get(state) ?? []), { part, messageId, nextLink }]);
      state.pending--;
      if (state.pending === 0 && !overflow.has(state)) finish(state);
    }
    // A mailbox with more than a page of copies of one message: rare, so followed one request at a time.
    for (const [state, pages] of overflow) {
      for (const page of pages) {
        await followNextLinks(counted, state, page.messageId, page.part, page.nextLink, options.signal);
      }
      finish(state);
    }
  } catch (error) {
    if (!options.signal?.aborted) stoppedBy = error instanceof Error ? error : new Error(String(error));
  }

  if (!options.skipFolderNames) {
    const withCopies = states.filter((s) => s.copies.size > 0);
    await resolveFolderNames(
      counted,
      withCopies.map((s) => ({ key: s.key, copies: [...s.copies.values()] })),
      batchOptions,
    ).catch(() => undefined); // names are a nicety: a copy without one still counts, with its folderId
  }

  const stopped: Classified | undefined = options.signal?.aborted
    ? { reason: 'cancelled', detail: 'the run was cancelled before this mailbox was searched' }
    : stoppedBy
      ? {
          ...classifyFailure(stoppedBy),
          detail: `the run stopped early: ${classifyFailure(stoppedBy).detail}`,
        }
      : undefined;
  const outcomes = states.map((state) => {
    // Outcomes were settled before folder names arrived: rebuild found ones so they carry the names.
    if (state.outcome && state.outcome.outcome !== 'found') return state.outcome;
    if (state.outcome) return settleMailbox(state);
    return unfinished(state, stopped ?? { reason: 'error', detail: 'the search ended without an answer' });
  });
  const complete = stopped === undefined && states.every((state) => state.outcome !== undefined);
  return {
    mailboxes: outcomes,
    complete,
    graphRequests,
    subRequests,
    ...(stoppedBy ? { stoppedBy } : {}),
  };
}

// Item ids carry what the result belongs to; '|' never occurs in a lower-cased object id or SMTP address key.
function itemId(key: string, index: number, part: SearchPart): string {
  return `${part === 'messages' ? 'm' : 'r'}|${index}|${key}`;
}

function parseItemId(id: string): { key: string; index: number; part: SearchPart } {
  const [part, index, ...key] = id.split('|');
  return { part: part === 'm' ? 'messages' : 'recoverable', index: Number(index), key: key.join('|') };
}

async function followNextLinks(
  send: Send,
  state: MailboxState,
  messageId: string,
  part: SearchPart,
  first: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  let nextLink: string | undefined = first;
  try {
    while (nextLink !== undefined) {
      const response = await send<unknown>({
        method: 'GET',
        url: nextLink,
        mailbox: state.key,
        ...(signal ? { signal } : {}),
      });
      const page = readMessagePage(response.body);
      addCopies(state, page.messages, messageId, part);
      nextLink = page.nextLink;
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    state.failures.push({ part, error });
  }
}
