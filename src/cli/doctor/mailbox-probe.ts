// Step 5: one mailbox search, the way investigate does it. A user with a mail address may still have no
// Exchange Online mailbox, and a scoped app may be kept out of most mailboxes on purpose, so a few candidates are
// tried until one answers; every refusal on the way is explained.
import type { GraphClient } from '../../graph/client.ts';
import {
  GraphError,
  isAccessDeniedByPolicy,
  isAuthError,
  isMailboxNotFound,
  isNoMailbox,
} from '../../graph/errors.ts';
import { buildQuery } from '../../graph/odata.ts';
import { type CheckResult, fail, pass, warn } from './check.ts';
import type { DateSampler } from './clock-skew.ts';
import { consentFix, LEAST_MAIL_ROLE, USER_ROLE } from './roles.ts';

const TITLE = 'mailbox search probe';
/** Enough to step over a guest or an unlicensed account, few enough to stay a probe. */
export const MAX_MAILBOX_PROBES = 5;

const POLICY_FIX =
  'if the app is meant to reach these mailboxes, check its RBAC for Applications scope in Exchange Online ' +
  'PowerShell (Test-ServicePrincipalAuthorization -Identity <app> -Resource <mailbox>) or the legacy application ' +
  'access policy (Test-ApplicationAccessPolicy -Identity <mailbox> -AppId <client id>); see docs/setup.md';

interface UserRow {
  id?: string;
  mail?: string | null;
  userPrincipalName?: string;
}

export function usersProbeUrl(): string {
  return `/users${buildQuery({
    $filter: "userType eq 'Member' and accountEnabled eq true",
    $select: 'id,mail,userPrincipalName',
    $top: 20,
  })}`;
}

export function messagesProbeUrl(userId: string): string {
  return `/users/${encodeURIComponent(userId)}/messages${buildQuery({ $top: 1, $select: 'id' })}`;
}

export async function probeMailbox(
  client: GraphClient,
  dates: DateSampler,
  signal: AbortSignal,
  now: () => number,
): Promise<CheckResult> {
  let users: UserRow[];
  try {
    const response = await client.send<{ value?: UserRow[] }>({
      method: 'GET',
      url: usersProbeUrl(),
      signal,
    });
    dates.observe(response.headers.get('date'), now());
    users = (response.body.value ?? []).filter((u) => typeof u.id === 'string' && u.mail);
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof GraphError) dates.observe(error.date, now(), 'errorBody');
    return graphFailure(error, `listing users failed`, [USER_ROLE]);
  }
  if (users.length === 0)
    return warn(
      'mailbox',
      TITLE,
      'no enabled member user with a mail address was found',
      'nothing to search: check that mailboxes exist',
    );

  const refusals: string[] = [];
  let denied = 0;
  for (const user of users.slice(0, MAX_MAILBOX_PROBES)) {
    const address = user.mail ?? user.userPrincipalName ?? user.id ?? '';
    try {
      const response = await client.send({ method: 'GET', url: messagesProbeUrl(user.id as string), signal });
      dates.observe(response.headers.get('date'), now());
      const before = refusals.length > 0 ? ` (before it: ${refusals.join('; ')})` : '';
      return pass('mailbox', TITLE, `listed one message id in the mailbox of ${address}${before}`, {
        facts: { mailbox: address, refused: refusals.length },
      });
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof GraphError) dates.observe(error.date, now(), 'errorBody');
      if (isAccessDeniedByPolicy(error)) {
        denied++;
        refusals.push(
          `${address}: 403 ErrorAccessDenied, excluded by an RBAC for Applications scope or access policy`,
        );
      } else if (isNoMailbox(error)) {
        refusals.push(`${address}: 404 MailboxNotEnabledForRESTAPI, no Exchange Online mailbox`);
      } else if (isMailboxNotFound(error)) {
        refusals.push(`${address}: 404 ${(error as GraphError).code}, mailbox not found`);
      } else {
        return graphFailure(error, `searching the mailbox of ${address} failed`, [LEAST_MAIL_ROLE]);
      }
    }
  }
  const facts = { refused: refusals.length, accessDenied: denied };
  if (denied > 0)
    return warn('mailbox', TITLE, `no probed mailbox could be searched: ${refusals.join('; ')}`, POLICY_FIX, {
      facts,
    });
  return warn(
    'mailbox',
    TITLE,
    `none of the probed users has an Exchange Online mailbox: ${refusals.join('; ')}`,
    'guests, unlicensed and on-premises users have no mailbox Graph can search; investigate reports them as not searched',
    { facts },
  );
}

function graphFailure(error: unknown, what: string, roles: readonly string[]): CheckResult {
  const message = error instanceof Error ? error.message : String(error);
  if (isAuthError(error))
    return fail('mailbox', TITLE, 'permission', `${what}: ${message}`, consentFix(roles), {
      facts: { status: (error as { status?: number }).status ?? null },
    });
  return warn('mailbox', TITLE, `${what}: ${message}`, 'rerun `mailtrace doctor`');
}
