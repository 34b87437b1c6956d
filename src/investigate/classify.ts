// Why a mailbox could not be searched: Graph's answer for the mailbox's search request mapped onto the reasons a
// report shows. The mapping follows the reference table (graph-reference.md §3); anything unrecognised is an
// 'error' that keeps Graph's code and request-id so that it can be chased with Microsoft.
import {
  GraphError,
  isAccessDeniedByPolicy,
  isMailboxNotFound,
  isNoMailbox,
  isThrottled,
  TokenError,
} from '../graph/errors.ts';
import type { NotSearchedReason } from './model.ts';

export interface Classified {
  reason: NotSearchedReason;
  detail: string;
  requestId?: string;
}

export function classifyFailure(error: unknown): Classified {
  const requestId = error instanceof GraphError ? error.requestId : undefined;
  const withId = (reason: NotSearchedReason, detail: string): Classified =>
    requestId === undefined ? { reason, detail } : { reason, detail, requestId };
  if (isNoMailbox(error)) {
    return withId('noMailbox', 'no Exchange Online mailbox (guest, unlicensed, on-premises or soft-deleted)');
  }
  if (isMailboxNotFound(error)) {
    return withId('mailboxNotFound', `the mailbox does not resolve (${(error as GraphError).code})`);
  }
  if (isAccessDeniedByPolicy(error)) {
    return withId('accessDenied', 'an application access policy or RBAC for Applications scope excludes it');
  }
  if (isThrottled(error)) return withId('throttled', 'still throttled (429) after the retries');
  if (error instanceof GraphError) {
    return withId('error', `${error.status === 0 ? '' : `${error.status} `}${error.code}`);
  }
  if (error instanceof TokenError) return { reason: 'error', detail: `token: ${error.explanation}` };
  // Not a Graph answer: keep only the error's name; its message may come from anywhere.
  return { reason: 'error', detail: error instanceof Error ? error.name : 'unknown failure' };
}
