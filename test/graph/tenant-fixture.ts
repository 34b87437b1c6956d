// A hand-built tenant with one app (secrets and roles) and three users: enough for token and client tests.
import { TENANT_SCHEMA_VERSION, type Tenant } from '../../src/simulator/model.ts';

export const TENANT_ID = '6f1b0a52-3c1e-4c7a-9d3b-2a8e5f4c1d90';
export const CLIENT_ID = '0c6a4f7e-8b21-4d3f-a5e9-7b1c2d3e4f50';
export const SECRET = 'Zq38Q~testSecretValue.0123456789abcdefghij';
export const SECRET_ID = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';
export const EXPIRED_SECRET = 'Aa18Q~expiredSecretValue.0123456789abcdef';
export const ANCHOR = '2026-01-15T10:00:00Z';

export function testTenant(): Tenant {
  return {
    schemaVersion: TENANT_SCHEMA_VERSION,
    seed: 1,
    tenantId: TENANT_ID,
    displayName: 'Contoso test',
    domains: ['contoso.com', 'contoso.onmicrosoft.com'],
    anchor: ANCHOR,
    messageTraceServicePrincipal: true,
    apps: [
      {
        clientId: CLIENT_ID,
        displayName: 'mailtrace',
        roles: ['ExchangeMessageTrace.Read.All', 'Mail.ReadBasic.All', 'User.Read.All'],
        secrets: [
          { id: SECRET_ID, value: SECRET, expiresAt: '2027-01-01T00:00:00Z' },
          {
            id: 'b1b2b3b4-0000-4000-8000-000000000001',
            value: EXPIRED_SECRET,
            expiresAt: '2025-06-01T00:00:00Z',
          },
        ],
        certificates: [],
      },
    ],
    users: [
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000001',
        userPrincipalName: 'adele@contoso.com',
        displayName: 'Adele Vance',
        mail: 'adele@contoso.com',
        userType: 'Member',
        accountEnabled: true,
        mailbox: 'exchangeOnline',
        mailboxKind: 'user',
        excludedByAccessPolicy: false,
      },
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000002',
        userPrincipalName: 'guest_fabrikam.com#EXT#@contoso.onmicrosoft.com',
        displayName: 'Guest',
        mail: 'guest@fabrikam.com',
        userType: 'Guest',
        accountEnabled: true,
        mailbox: 'none',
        excludedByAccessPolicy: false,
      },
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000003',
        userPrincipalName: 'ceo@contoso.com',
        displayName: 'CEO',
        mail: 'ceo@contoso.com',
        userType: 'Member',
        accountEnabled: true,
        mailbox: 'exchangeOnline',
        mailboxKind: 'user',
        excludedByAccessPolicy: true,
      },
    ],
    groups: [],
    traces: [],
    copies: [],
    customFolders: [],
    campaign: null,
  };
}
