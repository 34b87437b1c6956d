// Granted application permissions (the token's `roles` claim) against what each feature needs. Pure: the caller
// hands in the roles and the cloud's capabilities.
import type { CloudCapabilities } from '../../graph/clouds.ts';
import { type CheckResult, fail, pass, skip, warn } from './check.ts';

export const TRACE_ROLE = 'ExchangeMessageTrace.Read.All';
/** Least privilege for the mailbox search: every message property except body, preview and attachments. */
export const LEAST_MAIL_ROLE = 'Mail.ReadBasic.All';
/** Also allow the search, but read message bodies too: more than mailtrace needs. */
const BROADER_MAIL_ROLES = ['Mail.Read', 'Mail.ReadWrite'];
const MAIL_ROLES = [LEAST_MAIL_ROLE, 'Mail.ReadBasic', ...BROADER_MAIL_ROLES];
export const USER_ROLE = 'User.Read.All';
const BROADER_USER_ROLES = ['Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'];

const CONSENT_HOWTO =
  'Entra admin center > App registrations > your app > API permissions > Add a permission > Microsoft Graph > ' +
  'Application permissions: add {roles}, then "Grant admin consent for <tenant>" (a Global or Privileged Role ' +
  'Administrator must click it). New grants reach tokens issued afterwards: rerun `mailtrace doctor`.';

export function consentFix(roles: readonly string[]): string {
  return CONSENT_HOWTO.replace('{roles}', roles.join(' and '));
}

export function checkCollectRoles(roles: readonly string[], capabilities: CloudCapabilities): CheckResult {
  const title = 'permissions for collect/trace';
  if (!capabilities.messageTrace)
    return skip('roles.collect', title, 'message trace does not exist in this cloud, so no role is needed');
  if (roles.includes(TRACE_ROLE))
    return pass('roles.collect', title, `${TRACE_ROLE} is granted`, { facts: { granted: [...roles] } });
  return fail(
    'roles.collect',
    title,
    'permission',
    `${TRACE_ROLE} is not granted: collect and trace will be refused (403)`,
    consentFix([TRACE_ROLE]),
    { facts: { granted: [...roles], missing: [TRACE_ROLE] } },
  );
}

export function checkInvestigateRoles(roles: readonly string[]): CheckResult {
  const title = 'permissions for investigate';
  const facts = { granted: [...roles] };
  const hasLeastMail = roles.includes(LEAST_MAIL_ROLE) || roles.includes('Mail.ReadBasic');
  const broaderMail = BROADER_MAIL_ROLES.filter((r) => roles.includes(r));
  const hasUsers = roles.includes(USER_ROLE) || BROADER_USER_ROLES.some((r) => roles.includes(r));
  const missing = [
    ...(hasLeastMail || broaderMail.length > 0 ? [] : [LEAST_MAIL_ROLE]),
    ...(hasUsers ? [] : [USER_ROLE]),
  ];
  if (missing.length > 0)
    return fail(
      'roles.investigate',
      title,
      'permission',
      `missing ${missing.join(' and ')}: investigate needs ${LEAST_MAIL_ROLE} (least privilege; Mail.Read also ` +
        `works but can read message bodies) and ${USER_ROLE} to list mailboxes (mail access granted only through ` +
        'Exchange Online RBAC for Applications is not in the token: the mailbox probe tells)',
      consentFix(missing),
      { facts: { ...facts, missing } },
    );
  if (!hasLeastMail)
    return warn(
      'roles.investigate',
      title,
      `${broaderMail.join(', ')} works, but it can read every message body; ${LEAST_MAIL_ROLE} is enough`,
      `${consentFix([LEAST_MAIL_ROLE])} Then remove ${broaderMail.join(' and ')}.`,
      { facts },
    );
  return pass(
    'roles.investigate',
    title,
    `${LEAST_MAIL_ROLE} and ${USER_ROLE} are granted (least privilege)`,
    { facts },
  );
}

/**
 * Exchange Online RBAC for Applications grants mail access in Exchange, not in Entra: the token then has no mail
 * role, yet the mailbox probe succeeds. That is the recommended scoped setup, not a missing permission.
 */
export function mailAccessFromExchangeRbac(
  investigate: CheckResult,
  mailboxProbe: CheckResult,
  roles: readonly string[],
): CheckResult {
  const noMailRole = !roles.some((r) => MAIL_ROLES.includes(r));
  if (investigate.status !== 'fail' || mailboxProbe.status !== 'pass' || !noMailRole) return investigate;
  return pass(
    'roles.investigate',
    investigate.title,
    `${USER_ROLE} is granted; mail access is granted by Exchange Online RBAC for Applications (not in the token), ` +
      'as the mailbox probe shows',
    { facts: { granted: [...roles], mailAccess: 'exchangeRbac' } },
  );
}
