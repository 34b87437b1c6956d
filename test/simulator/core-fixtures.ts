// Shared by the simulator core's tests: a hand-built tiny tenant, a stub Graph router and an HTTPS client
// that trusts only the simulator's CA.
import { Agent, fetch } from 'undici';
import type { CreateGraphRouter, GraphRouter, SimResponse } from '../../src/simulator/http-types.ts';
import { TENANT_SCHEMA_VERSION, type Tenant } from '../../src/simulator/model.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.ts';

export const TENANT_ID = '11111111-2222-4333-8444-555555555555';
export const CLIENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const SECRET = 'sim-secret-value-~1';
export const SECRET_ID = '99999999-8888-4777-8666-555555555555';
export const USER_ID = '00000000-0000-4000-8000-000000000001';
export const ANCHOR = '2026-03-01T12:00:00Z';
export const ALL_ROLES = ['User.Read.All', 'Mail.ReadBasic.All', 'ExchangeMessageTrace.Read.All'];

export function tinyTenant(overrides: Partial<Tenant> = {}): Tenant {
  return {
    schemaVersion: TENANT_SCHEMA_VERSION,
    seed: 1,
    tenantId: TENANT_ID,
    displayName: 'Contoso',
    domains: ['contoso.com', 'contoso.onmicrosoft.com'],
    anchor: ANCHOR,
    messageTraceServicePrincipal: true,
    apps: [
      {
        clientId: CLIENT_ID,
        displayName: 'mailtrace',
        roles: [...ALL_ROLES],
        secrets: [
          { id: SECRET_ID, value: SECRET, expiresAt: '2027-01-01T00:00:00Z' },
          { id: 'old', value: 'expired-secret', expiresAt: '2026-01-01T00:00:00Z' },
        ],
        certificates: [],
      },
    ],
    users: [
      {
        id: USER_ID,
        userPrincipalName: 'Adele@contoso.com',
        displayName: 'Adele Vance',
        mail: 'adele.vance@contoso.com',
        userType: 'Member',
        accountEnabled: true,
        mailbox: 'exchangeOnline',
        mailboxKind: 'user',
        excludedByAccessPolicy: false,
      },
    ],
    groups: [],
    traces: [],
    copies: [],
    customFolders: [],
    campaign: null,
    ...overrides,
  };
}

/** Answers every known resource with a small JSON body that names the path, so tests see what ran. */
export const stubRouter: CreateGraphRouter = (): GraphRouter => (req) => {
  const response = (body: unknown): SimResponse => ({ status: 200, body });
  if (req.path === '/users') return response({ value: [{ id: USER_ID }] });
  if (/^\/users\/[^/]+$/.test(req.path)) return response({ id: USER_ID });
  if (/^\/users\/[^/]+\/(messages|mailFolders)/i.test(req.path))
    return response({ value: [], path: req.path });
  if (req.path === '/admin/exchange/tracing/messageTraces') return response({ value: [] });
  if (req.path === '/fail')
    return { status: 404, body: { error: { code: 'ResourceNotFound', message: 'x' } } };
  return undefined;
};

export interface TestSimulator {
  sim: Simulator;
  agent: Agent;
  /** fetch relative to the simulator URL, trusting only its CA. */
  request(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** A client-credentials token acquired over the real token endpoint. */
  token(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestSimulator(options: Partial<SimulatorOptions> = {}): Promise<TestSimulator> {
  const sim = await startSimulator({
    tenants: [tinyTenant()],
    router: stubRouter,
    latency: 'zero',
    ...options,
  });
  const agent = new Agent({ connect: { ca: sim.caCertPem } });
  let cached: string | undefined;
  const token = async () => {
    if (cached) return cached;
    const res = await fetch(`${sim.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: SECRET,
        scope: `${sim.url}/.default`,
      }).toString(),
    });
    const json = (await res.json()) as { access_token: string };
    cached = json.access_token;
    return cached;
  };
  const request = async (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const bearer = init.token === undefined ? await token() : init.token;
    if (bearer !== null) headers.set('authorization', `Bearer ${bearer}`);
    const { token: _ignored, ...rest } = init;
    return (await fetch(`${sim.url}${path}`, {
      ...rest,
      headers,
      dispatcher: agent,
    } as never)) as unknown as Response;
  };
  return {
    sim,
    agent,
    request,
    token,
    close: async () => {
      await agent.close();
      await sim.close();
    },
  };
}

export function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}
