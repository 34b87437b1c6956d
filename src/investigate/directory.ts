// The sweep's scope: every directory user with a mail address (Graph cannot list mailboxes as such). Guests are
// classified up front instead of probed: a guest's mailbox lives in its home tenant, so in this tenant the probe
// would answer 404 MailboxNotEnabledForRESTAPI in all but very rare set-ups; skipping it saves two requests per
// guest, and the report still lists each one as notSearched with that reason, so nothing is hidden.
import { buildQuery } from '../graph/odata.ts';
import { paginate } from '../graph/paging.ts';
import type { GraphRequest, Send } from '../graph/types.ts';
import type { MailboxOutcome, MailboxRef } from './model.ts';
import { reconcile } from './reconcile.ts';

export const USER_SELECT = 'id,displayName,mail,userPrincipalName,userType,accountEnabled';

export interface DirectoryUser {
  id: string;
  displayName: string | null;
  mail: string | null;
  userPrincipalName: string;
  userType: string | null;
  accountEnabled: boolean | null;
}

export interface MailUsers {
  /** Users to search, in directory order. */
  toSearch: MailboxRef[];
  /** Users classified without a request (guests), already as outcomes. */
  classified: MailboxOutcome[];
  /** @odata.count of the listing (eventually consistent: may differ from what the pages held). */
  reportedCount: number | undefined;
  graphRequests: number;
}

/** Lists users with `mail ne null` (an advanced query: ConsistencyLevel eventual + $count, sent on every page). */
export async function listMailUsers(send: Send, options: { signal?: AbortSignal } = {}): Promise<MailUsers> {
  let graphRequests = 0;
  let reportedCount: number | undefined;
  const counting: Send = async <T>(request: GraphRequest) => {
    graphRequests++;
    const response = await send<T>(request);
    const count = (response.body as { '@odata.count'?: unknown } | null)?.['@odata.count'];
    if (reportedCount === undefined && typeof count === 'number') reportedCount = count;
    return response;
  };
  const toSearch: MailboxRef[] = [];
  const classified: MailboxOutcome[] = [];
  const query = buildQuery({ $filter: 'mail ne null', $count: 'true', $top: 999, $select: USER_SELECT });
  const users = paginate<Partial<DirectoryUser>>(counting, {
    method: 'GET',
    url: `/users${query}`,
    headers: { ConsistencyLevel: 'eventual' },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const user of users) {
    const ref = toMailboxRef(user);
    if (ref === undefined) continue;
    if (ref.kind === 'guest') classified.push(guestOutcome(ref));
    else toSearch.push(ref);
  }
  return { toSearch, classified, reportedCount, graphRequests };
}

export function toMailboxRef(user: Partial<DirectoryUser>): MailboxRef | undefined {
  const address = user.mail ?? user.userPrincipalName;
  if (typeof user.id !== 'string' || typeof address !== 'string' || address === '') return undefined;
  return {
    id: user.id,
    address,
    ...(typeof user.displayName === 'string' ? { displayName: user.displayName } : {}),
    kind: user.userType?.toLowerCase() === 'guest' ? 'guest' : 'member',
  };
}

export function guestOutcome(ref: MailboxRef): MailboxOutcome {
  const outcome: MailboxOutcome = {
    mailbox: ref,
    outcome: 'notSearched',
    reason: 'noMailbox',
    detail: 'guest account (no mailbox in this tenant)',
    copies: [],
    reconciliation: '',
  };
  outcome.reconciliation = reconcile({ traceConsulted: false, traceStatus: undefined, mailbox: outcome });
  return outcome;
}
