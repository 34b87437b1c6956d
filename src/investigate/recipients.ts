// Trace recipients (and --mailbox addresses) turned into directory users, so that the search addresses each mailbox
// by its object id and the report can tell a guest or an external address from a mailbox. One `mail eq` query per
// address, all of them through $batch: 25 recipients cost two HTTP requests. Mail is often addressed to an alias
// (a secondary proxy address, or the UPN when it differs from mail): an address of one of the tenant's domains that
// no user carries as mail is looked up again by userPrincipalName and by proxyAddresses, and when nothing carries
// it the mailbox is listed as not searched (mailboxNotFound) rather than passed off as external. An address of
// another domain that no user carries is external (or a contact): it stays a trace-only line, never a silent drop.
import { type BatchItem, type BatchOptions, batch } from '../graph/batch.ts';
import type { GraphError } from '../graph/errors.ts';
import { buildQuery, eqFilter, quoteODataString } from '../graph/odata.ts';
import type { GraphRequest, Send } from '../graph/types.ts';
import { classifyFailure } from './classify.ts';
import { type DirectoryUser, guestOutcome, toMailboxRef, USER_SELECT } from './directory.ts';
import type { MailboxOutcome, MailboxRef } from './model.ts';
import { reconcile } from './reconcile.ts';

export interface ResolvedRecipients {
  /** Members to search, in the order the addresses were given. */
  toSearch: MailboxRef[];
  /**
   * Directory users classified without a search (guests), lookups that failed, and addresses of the tenant's
   * domains that no user carries, as outcomes (one per mailbox: the caller makes them one per message id).
   */
  classified: MailboxOutcome[];
  /** Addresses of other domains that no directory user carries (external recipients, contacts). */
  unknown: string[];
  graphRequests: number;
}

export interface ResolveOptions extends BatchOptions {
  /**
   * The tenant's accepted domains (config `domains`). When absent, the domains of the addresses found by `mail eq`
   * stand in for them: an alias in a domain no recipient's mail uses is then taken for an external address.
   */
  acceptedDomains?: readonly string[];
}

type Answer = MailboxRef | MailboxOutcome | 'unknown';

export async function resolveRecipients(
  send: Send,
  addresses: readonly string[],
  options: ResolveOptions = {},
): Promise<ResolvedRecipients> {
  let graphRequests = 0;
  const counted: Send = <T>(request: GraphRequest) => {
    graphRequests++;
    return send<T>(request);
  };
  const { acceptedDomains, ...batchOptions } = options;
  const unique = [...new Map(addresses.map((a) => [a.toLowerCase(), a])).values()];
  const answers = await byMail(counted, unique, batchOptions);

  const domains = new Set((acceptedDomains ?? []).map((d) => d.toLowerCase()));
  if (domains.size === 0) {
    for (const answer of answers.values())
      if (answer !== 'unknown' && !('outcome' in answer)) domains.add(domainOf(answer.address));
  }
  const aliases = unique.filter((a) => answers.get(a) === 'unknown' && domains.has(domainOf(a)));
  for (const [address, answer] of await byAlias(counted, aliases, batchOptions)) answers.set(address, answer);

  const resolved: ResolvedRecipients = { toSearch: [], classified: [], unknown: [], graphRequests: 0 };
  for (const address of unique) {
    const answer = answers.get(address) ?? 'unknown';
    if (answer === 'unknown') resolved.unknown.push(address);
    else if ('outcome' in answer) resolved.classified.push(answer);
    else if (answer.kind === 'guest') resolved.classified.push(guestOutcome(answer));
    else resolved.toSearch.push(answer);
  }
  resolved.graphRequests = graphRequests;
  return resolved;
}

async function byMail(
  send: Send,
  addresses: readonly string[],
  options: BatchOptions,
): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  const items: BatchItem[] = addresses.map((address, index) => ({
    id: String(index),
    method: 'GET',
    url: `/users${buildQuery({ $filter: eqFilter('mail', address), $select: USER_SELECT })}`,
  }));
  if (items.length === 0) return answers;
  for await (const result of batch(send, items, options)) {
    const address = addresses[Number(result.id)]!;
    if (!result.ok) answers.set(address, lookupFailed(address, result.error));
    else answers.set(address, firstUser(result.body) ?? 'unknown');
  }
  return answers;
}

/**
 * Two lookups per alias in one batched run: `userPrincipalName eq`, and `proxyAddresses/any(p:p eq 'smtp:…')`
 * (sent as an advanced query, ConsistencyLevel eventual + $count, which the directory accepts for it in every
 * case). A directory that refuses the proxyAddresses query (400) leaves the UPN answer to decide.
 */
async function byAlias(
  send: Send,
  addresses: readonly string[],
  options: BatchOptions,
): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  if (addresses.length === 0) return answers;
  const items: BatchItem[] = addresses.flatMap((address, index) => [
    {
      id: `u${index}`,
      method: 'GET' as const,
      url: `/users${buildQuery({ $filter: eqFilter('userPrincipalName', address), $select: USER_SELECT })}`,
    },
    {
      id: `p${index}`,
      method: 'GET' as const,
      url: `/users${buildQuery({
        $filter: `proxyAddresses/any(p:p eq ${quoteODataString(`smtp:${address}`)})`,
        $count: 'true',
        $select: USER_SELECT,
      })}`,
      headers: { ConsistencyLevel: 'eventual' },
    },
  ]);
  const found = new Map<number, MailboxRef>();
  const failed = new Map<number, GraphError>();
  for await (const result of batch(send, items, options)) {
    const index = Number(result.id.slice(1));
    if (!result.ok) {
      const refused = result.id.startsWith('p') && result.error.status === 400;
      if (!refused) failed.set(index, result.error);
      continue;
    }
    const ref = firstUser(result.body);
    if (ref && !found.has(index)) found.set(index, ref);
  }
  addresses.forEach((address, index) => {
    const ref = found.get(index);
    const error = failed.get(index);
    // Searched under the address mail was sent to, so that the trace row joins this line.
    if (ref) answers.set(address, { ...ref, address });
    else if (error) answers.set(address, lookupFailed(address, error));
    else answers.set(address, notInDirectory(address));
  });
  return answers;
}

function firstUser(body: unknown): MailboxRef | undefined {
  const value = (body as { value?: unknown } | null)?.value;
  const user = Array.isArray(value) ? (value[0] as Partial<DirectoryUser> | undefined) : undefined;
  return user === undefined ? undefined : toMailboxRef(user);
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** An address of the tenant's domains that no user carries: in scope, so listed, with what was tried. */
export function notInDirectory(address: string): MailboxOutcome {
  const outcome: MailboxOutcome = {
    mailbox: { address },
    outcome: 'notSearched',
    reason: 'mailboxNotFound',
    detail: 'no directory user has this address as mail, userPrincipalName or proxy address',
    copies: [],
    reconciliation: '',
  };
  outcome.reconciliation = reconcile({ traceConsulted: false, traceStatus: undefined, mailbox: outcome });
  return outcome;
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
