// Small hand-made tenants and a request builder that encodes queries exactly like a client on the wire.

import { DIRECT_ORIGIN, directRequest, encodeQuery, NO_FAULTS } from '../../../src/simulator/direct-call.ts';
import type { FaultConfig, GraphRouter, SimRequest, SimResponse } from '../../../src/simulator/http-types.ts';
import type {
  SimMailboxCopy,
  SimTraceRow,
  SimUser,
  Tenant,
  TraceStatus,
} from '../../../src/simulator/model.ts';
import { createGraphRouter } from '../../../src/simulator/resources/index.ts';

export const NOW = new Date('2026-03-01T12:00:00Z');
export const BASE = DIRECT_ORIGIN;
export const CAMPAIGN_ID = '<phish-2026.03.01@evil.example>';

export { encodeQuery, NO_FAULTS };

export function user(id: string, name: string, extra: Partial<SimUser> = {}): SimUser {
  return {
    id,
    userPrincipalName: `${name}@contoso.com`,
    displayName: `${name.charAt(0).toUpperCase()}${name.slice(1)} Tester`,
    mail: `${name}@contoso.com`,
    userType: 'Member',
    accountEnabled: true,
    mailbox: 'exchangeOnline',
    mailboxKind: 'user',
    excludedByAccessPolicy: false,
    ...extra,
  };
}

export function copy(
  mailboxUserId: string,
  graphId: string,
  folder: string,
  extra: Partial<SimMailboxCopy> = {},
) {
  const result: SimMailboxCopy = {
    mailboxUserId,
    graphId,
    internetMessageId: CAMPAIGN_ID,
    folder,
    subject: 'Invoice overdue',
    from: { name: 'Billing', address: 'billing@evil.example' },
    sender: { name: 'Billing', address: 'billing@evil.example' },
    toRecipients: [{ name: 'Adele', address: 'adele@contoso.com' }],
    receivedDateTime: '2026-03-01T09:00:00Z',
    isRead: false,
    hasAttachments: true,
    ...extra,
  };
  return result;
}

export function traceRow(
  id: string,
  recipient: string,
  received: string,
  statuses: [TraceStatus, string][] = [['delivered', received]],
  extra: Partial<SimTraceRow> = {},
): SimTraceRow {
  return {
    id,
    messageId: `<${id}@contoso.com>`,
    senderAddress: 'sender@fabrikam.com',
    recipientAddress: recipient,
    receivedDateTime: received,
    subject: `Weekly digest ${id}`,
    size: 12_345,
    fromIP: '203.0.113.7',
    toIP: '',
    visibleFrom: received,
    statusTimeline: statuses.map(([status, from]) => ({ status, from })),
    direction: 'inbound',
    ...extra,
  };
}

export function baseTenant(): Tenant {
  return {
    schemaVersion: 1,
    seed: 7,
    tenantId: '11111111-2222-3333-4444-555555555555',
    displayName: 'Contoso',
    domains: ['contoso.com', 'contoso.onmicrosoft.com'],
    anchor: NOW.toISOString(),
    messageTraceServicePrincipal: true,
    apps: [],
    users: [
      user('00000000-0000-0000-0000-00000000000a', 'adele'),
      user('00000000-0000-0000-0000-00000000000b', 'bob', { excludedByAccessPolicy: true }),
      user('00000000-0000-0000-0000-00000000000c', 'guest', {
        userPrincipalName: 'guest_fabrikam.com#EXT#@contoso.onmicrosoft.com',
        mail: 'guest@fabrikam.com',
        userType: 'Guest',
        mailbox: 'none',
      }),
      user('00000000-0000-0000-0000-00000000000d', 'onprem', { mailbox: 'onPremises' }),
      user('00000000-0000-0000-0000-00000000000e', 'gone', { mailbox: 'softDeleted' }),
      user('00000000-0000-0000-0000-00000000000f', 'ghost', { unresolvable: true }),
      user('00000000-0000-0000-0000-000000000010', 'dora', { accountEnabled: false }),
      user('00000000-0000-0000-0000-000000000011', 'nomail', { mail: null, mailbox: 'none' }),
      user('00000000-0000-0000-0000-000000000012', 'shared', {
        mailboxKind: 'shared',
        accountEnabled: false,
      }),
    ],
    groups: [],
    traces: [],
    copies: [],
    customFolders: [],
    campaign: null,
  };
}

export interface Call {
  path: string;
  /** Query options, encoded with encodeURIComponent as a careful client does. */
  query?: Record<string, string>;
  /** Or a raw query string exactly as sent. */
  rawQuery?: string;
  headers?: Record<string, string>;
  version?: 'v1.0' | 'beta';
  now?: Date;
  method?: string;
  faults?: Partial<FaultConfig>;
  random?: () => number;
}

export function request(call: Call): SimRequest {
  return directRequest({ ...call, now: call.now ?? NOW, origin: BASE });
}

export interface Reply {
  status: number;
  body: Record<string, unknown> & { value?: Record<string, unknown>[] };
  response: SimResponse;
}

/** Calls the router and fails loudly when no route matched. */
export function call(router: GraphRouter, spec: Call): Reply {
  const response = router(request(spec));
  if (!response) throw new Error(`no route for ${spec.path}`);
  return { status: response.status, body: (response.body ?? {}) as Reply['body'], response };
}

/** Follows a nextLink the way a client does: split the absolute URL back into path and raw query. */
export function follow(router: GraphRouter, nextLink: string, spec: Omit<Call, 'path'> = {}): Reply {
  const url = new URL(nextLink);
  const version = url.pathname.split('/')[1] as 'v1.0' | 'beta';
  const path = url.pathname.slice(version.length + 1);
  return call(router, { ...spec, version, path, rawQuery: url.search.slice(1) });
}

export function errorCode(reply: Reply): string {
  return (reply.body.error as { code: string }).code;
}

export function errorMessage(reply: Reply): string {
  return (reply.body.error as { message: string }).message;
}

export function routerFor(tenant: Tenant): GraphRouter {
  return createGraphRouter(tenant, { now: () => NOW });
}
