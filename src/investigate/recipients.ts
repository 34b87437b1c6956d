// Trace recipients (and --mailbox addresses) turned into directory users, so that the search addresses each mailbox
// by its object id and the report can tell a guest or an external address from a mailbox. One `mail eq` query per
// address, all of them through $batch: 25 recipients cost two HTTP requests. An address no user carries is external
// (or a group, a contact): it stays a trace-only line, never a silent drop.
import { type BatchItem, type BatchOptions, batch } from '../graph/batch.ts';
import { buildQuery, eqFilter } from '../graph/odata.ts';
import type { GraphRequest, Send } from '../graph/types.ts';
import { classifyFailure } from './classify.ts';
import { type DirectoryUser, guestOutcome, toMailboxRef, USER_SELECT } from './directory.ts';
import type { MailboxOutcome, MailboxRef } from './model.ts';
import { reconcile } from './reconcile.ts';

export interface ResolvedRecipients {
  /** Members to search, in the order the addresses were given. */
  toSearch: MailboxRef[];
  /** Directory users classified without a search (guests) or whose lookup failed, as outcomes. */
  classified: MailboxOutcome[];
  /** Addresses no directory user carries as its mail (external recipients, groups, contacts). */
  unknown: string[];
  graphRequests: number;
}

export async function resolveRecipients(
  send: Send,
  addresses: readonly string[],
  options: BatchOptions = {},
): Promise<ResolvedRecipients> {
  let graphRequests = 0;
  const counted: Send = <T>(request: GraphRequest) => {
    graphRequests++;
    return send<T>(request);
  };
  const unique = [...new Map(addresses.map((a) => [a.toLowerCase(), a])).values()];
  const items: BatchItem[] = unique.map((address, index) => ({
    id: String(index),
    method: 'GET',
    url: `/users${buildQuery({ $filter: eqFilter('mail', address), $select: USER_SELECT })}`,
  }));
  const answers = new Map<number, MailboxRef | 'unknown' | MailboxOutcome>();
  if (items.length > 0) {
    for await (const result of batch(counted, items, options)) {
      const index = Number(result.id);
      const address = unique[index]!;
      if (!result.ok) {
        answers.set(index, lookupFailed(address, result.error));
        continue;
      }
      const value = (result.body as { value?: unknown } | null)?.value;
      const user = Array.isArray(value) ? (value[0] as Partial<DirectoryUser> | undefined) : undefined;
      const ref = user === undefined ? undefined : toMailboxRef(user);
      answers.set(index, ref ?? 'unknown');
    }
  }
  const resolved: ResolvedRecipients = { toSearch: [], classified: [], unknown: [], graphRequests };
  unique.forEach((address, index) => {
    const answer = answers.get(index);
    if (answer === undefined || answer === 'unknown') resolved.unknown.push(address);
    else if ('outcome' in answer) resolved.classified.push(answer);
    else if (answer.kind === 'guest') resolved.classified.push(guestOutcome(answer));
    else resolved.toSearch.push(answer);
  });
  resolved.graphRequests = graphRequests;
  return resolved;
}

/** A recipient whose directory lookup failed is in scope but unsearched: say why, with the request-id. */
function lookupFailed(address: string, error: unknown): MailboxOutcome {
  const classified = classifyFailure(error);
  const outcome: MailboxOutcome = {
    mailbox: { address },
    outcome: 'notSearched',
    reason: classified.reason,
    detail: `directory lookup failed: ${classified.detail}`,
    ...(classified.requestId !== undefined ? { requestId: classified.requestId } : {}),
    copies: [],
    reconciliation: '',
  };
  outcome.reconciliation = reconcile({ traceConsulted: false, traceStatus: undefined, mailbox: outcome });
  return outcome;
}
