// Graph's gatekeeping after the token is valid: which application permissions each kind of endpoint needs,
// and the 401 bodies for missing, invalid and expired tokens.
import type { TokenValidation } from './access-token.ts';
import type { EndpointClass } from './endpoint-class.ts';
import { graphError, type SimRequest, type SimResponse } from './http-types.ts';
import { MESSAGE_TRACE_SP_APP_ID, type Tenant } from './model.ts';

/** Any one of these roles grants access to the endpoint class; classes not listed need none. */
export const REQUIRED_ROLES: Partial<Record<EndpointClass, readonly string[]>> = {
  users: [
    'User.Read.All',
    'User.ReadBasic.All',
    'User.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  groups: [
    'GroupMember.Read.All',
    'Group.Read.All',
    'Group.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  messages: ['Mail.ReadBasic.All', 'Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'],
  mailFolders: ['Mail.ReadBasic.All', 'Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'],
  messageTraces: ['ExchangeMessageTrace.Read.All'],
};

type ErrorContext = Pick<SimRequest, 'now' | 'requestId' | 'clientRequestId'>;

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
  'client_id="00000003-0000-0000-c000-000000000000"';

export function tokenFailureResponse(
  ctx: ErrorContext,
  reason: Exclude<TokenValidation, { ok: true }>['reason'],
) {
  const message = {
    empty: 'Access token is empty.',
    malformed: 'IDX14100: JWT is not well formed, there are no dots (.).',
    invalid: 'Access token validation failure. Invalid audience or signature.',
    expired: 'Lifetime validation failed, the token is expired.',
  }[reason];
  return graphError(ctx, 401, 'InvalidAuthenticationToken', message, {
    'WWW-Authenticate': WWW_AUTHENTICATE,
  });
}

/**
 * The response that refuses the request before it reaches a resource, or undefined to let it through:
 * app-only tokens cannot use /me, each class needs one of its roles, and message trace needs Microsoft's
 * service principal in the tenant.
 */
export function authorizationFailure(
  ctx: ErrorContext,
  path: string,
  endpointClass: EndpointClass,
  roles: ReadonlySet<string>,
  tenant: Tenant,
): SimResponse | undefined {
  if (/^\/me(\/|$|\?)/i.test(path)) {
    return graphError(
      ctx,
      400,
      'BadRequest',
      '/me request is only valid with delegated authentication flow.',
    );
  }
  const needed = REQUIRED_ROLES[endpointClass];
  if (needed && !needed.some((role) => roles.has(role))) {
    if (endpointClass === 'messages' || endpointClass === 'mailFolders') {
      // Mail is Outlook's, not the directory's: it refuses a token without a Mail.* role with its own 403
      // (wording as reported in msgraph SDK issues, graph-reference.md §7; Microsoft documents no body). The same
      // code as an application access policy exclusion, which is why mailtrace decides from the token's roles.
      return graphError(ctx, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    return graphError(
      ctx,
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  }
  if (endpointClass === 'messageTraces' && !tenant.messageTraceServicePrincipal) {
    // Wording as observed by office365itpros.com (2026-01-27); Microsoft documents only "401 until provisioned".
    return graphError(
      ctx,
      401,
      'Unauthorized',
      `Service principal-less Authentication failed: the service principal for App ID ${MESSAGE_TRACE_SP_APP_ID} ` +
        'was not found. Please create a service principal for this app in your tenant. Provisioning may take ' +
        'several hours to complete.',
    );
  }
  return undefined;
}
