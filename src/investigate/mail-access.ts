// Telling "the app may not read mail at all" from "this mailbox is excluded by policy". Outlook answers both with
// 403 ErrorAccessDenied (graph-reference.md §7): a missing Mail.* permission as "Access is denied. Check
// credentials and try again.", an application access policy as "Access to OData is disabled." and an RBAC for
// Applications management scope likewise per mailbox. Microsoft documents neither wording as a contract, so the
// decision rests on what is certain: the token's roles, and whether any mailbox at all could be read.
//
// - The token carries a Mail.* application role: every 403 is about one mailbox (policy or scope).
// - It carries none: access can still come from RBAC for Applications (Exchange grants it outside the token), so
//   a 403 alone proves nothing. But if the first mailboxes searched all answer 403 and none answers at all, the
//   app most likely has no mail permission: the run stops once with the fix instead of reporting every mailbox
//   of the tenant as excluded by policy.

import { isAccessDeniedByPolicy } from '../graph/errors.ts';

/** Application roles that let an app read mail through Graph (any one suffices for the search). */
export const MAIL_READ_ROLES: readonly string[] = ['Mail.ReadBasic.All', 'Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'];

/** Mailboxes that must all have been refused, none read, before a run without a mail role stops. */
export const MAIL_ACCESS_PROBE_SIZE = 8;

export class MailAccessMissingError extends Error {
  override readonly name = 'MailAccessMissingError';
  readonly requestId: string | undefined;
  constructor(denied: number, requestId?: string) {
    super(
      `the first ${denied} mailbox(es) searched all answered 403 ErrorAccessDenied, none could be read, and the ` +
        'access token carries no Mail.* application role: the app is most likely not allowed to read mail',
    );
    this.requestId = requestId;
  }
}

export function hasMailRole(roles: readonly string[]): boolean {
  return roles.some((role) => MAIL_READ_ROLES.includes(role));
}

/**
 * Watches mailbox answers while a search runs; `settled` throws MailAccessMissingError once the first
 * `probeSize` mailboxes were all refused. Inert when the token has a mail role (or its roles are unknown).
 */
export class MailAccessProbe {
  readonly #armed: boolean;
  readonly #probeSize: number;
  #denied = 0;
  #read = false;

  constructor(roles: readonly string[] | undefined, probeSize = MAIL_ACCESS_PROBE_SIZE) {
    this.#armed = roles !== undefined && !hasMailRole(roles);
    this.#probeSize = probeSize;
  }

  /** One mailbox ended: `error` is why it could not be searched, undefined when it was read. */
  settled(error: unknown, total: number): void {
    if (!this.#armed || this.#read) return;
    if (error === undefined) {
      this.#read = true;
      return;
    }
    if (!isAccessDeniedByPolicy(error)) return;
    this.#denied++;
    if (this.#denied >= Math.min(this.#probeSize, total))
      throw new MailAccessMissingError(this.#denied, (error as { requestId?: string }).requestId);
  }
}
