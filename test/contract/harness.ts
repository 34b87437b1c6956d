// The contract suite's harness: a generated tenant served by the simulator, driven by Microsoft's own libraries
// (@azure/identity, @microsoft/microsoft-graph-client) configured only through the options Microsoft documents for
// a custom host. Nothing of the SDKs is patched or stubbed; the process trusts the simulator's CA the way a host
// trusts a corporate CA (tls.setDefaultCACertificates is NODE_EXTRA_CA_CERTS set from inside the process), and
// every request the SDKs send is recorded from Node's diagnostics channels so a test can prove none of them
// left 127.0.0.1 (no instance discovery, no login.microsoftonline.com, no graph.microsoft.com).
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import tls from 'node:tls';
import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import {
  TokenCredentialAuthenticationProvider,
} from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { ControllableClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import type { SimApp, SimMailboxCopy, SimUser, Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { defaultStart, type Simulator, startSimulator } from '../../src/simulator/server.ts';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface SentRequest {
  /** 'http' for node:http(s) (what @azure/identity's pipeline uses), 'fetch' for global fetch (the Graph client). */
  via: 'http' | 'fetch';
  method: string;
  /** scheme://host:port */
  origin: string;
  /** Path and query as sent. */
  path: string;
  /** Lower-cased request header names and values (fetch only: node:http headers are not all set yet). */
  headers: Record<string, string>;
}

const sent: SentRequest[] = [];
let recording = false;

/** Starts recording, once per process, every HTTP request this process sends, whichever stack sends it. */
function recordRequests(): void {
  if (recording) return;
  recording = true;
  diagnostics.subscribe('undici:request:create', (message) => {
    const { request } = message as { request: { method: string; origin: string; path: string; headers: unknown } };
    sent.push({
      via: 'fetch',
      method: request.method,
      origin: String(request.origin),
      path: request.path,
      headers: undiciHeaders(request.headers),
    });
  });
  diagnostics.subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    // The Host header carries the port when it is not the scheme's default.
    const host = request.getHeader('host');
    sent.push({
      via: 'http',
      method: request.method,
      origin: `${request.protocol}//${typeof host === 'string' ? host : request.host}`,
      path: request.path,
      headers: {},
    });
  });
}

/** undici hands headers over as a flat [name, value, …] array (or, in older versions, one CRLF-joined string). */
function undiciHeaders(raw: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) headers[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
  } else if (typeof raw === 'string') {
    for (const line of raw.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return headers;
}

export interface Contract {
  sim: Simulator;
  tenant: Tenant;
  /** The app holding every role mailtrace needs. */
  app: SimApp;
  credential: ClientSecretCredential;
  client: Client;
  /** Every HTTP request this process has sent since this harness started, whichever library sent it. */
  readonly sent: readonly SentRequest[];
  close(): Promise<void>;
}

export interface ContractOptions {
  users?: number;
  seed?: number;
}

/**
 * The simulator's clock is frozen (scale 0) at the instant it starts (a fresh tenant is anchored at the current
 * minute): which trace rows and messages are visible cannot change while a test pages through them, so the tenant
 * data is an exact oracle. A test that needs time to pass steps the clock (or, for the SDK's own sleep, lets it run).
 */
export async function startContract(options: ContractOptions = {}): Promise<Contract> {
  recordRequests();
  const firstSent = sent.length;
  const tenant = generateTenant({
    users: options.users ?? 60,
    seed: options.seed ?? 11,
    days: 2,
    messagesPerUserPerDay: 3,
  });
  const clock = new ControllableClock(defaultStart(tenant.anchor, Date.now()), 0);
  const sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency: 'zero', clock });
  trustSimulatorCa(sim.caCertPem);
  const app = tenant.apps.find((a) => a.roles.includes('ExchangeMessageTrace.Read.All'))!;
  const credential = newCredential(sim, tenant, app.clientId, app.secrets[0]!.value);
  const client = newGraphClient(sim, credential);
  return {
    sim,
    tenant,
    app,
    credential,
    client,
    get sent() {
      return sent.slice(firstSent);
    },
    close: () => sim.close(),
  };
}

/** Adds the simulator's CA to this process's default trust store (what NODE_EXTRA_CA_CERTS does at start-up). */
function trustSimulatorCa(caPem: string): void {
  const current = tls.getCACertificates('default');
  if (!current.includes(caPem)) tls.setDefaultCACertificates([...current, caPem]);
}

/**
 * ClientSecretCredential with the two documented options for an authority that is not Microsoft's:
 * `authorityHost`, and `disableInstanceDiscovery` so that MSAL does not ask login.microsoftonline.com whether the
 * host is a known authority.
 */
export function newCredential(
  sim: Simulator,
  tenant: Tenant,
  clientId: string,
  secret: string,
): ClientSecretCredential {
  return new ClientSecretCredential(tenant.tenantId, clientId, secret, {
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
  });
}

/**
 * The Graph client v3 with its default middleware chain (Authentication, Retry, Redirect, Telemetry, HTTP), given
 * the two documented options for a custom host: `baseUrl`, and `customHosts` so that the authentication handler
 * attaches the token to requests (and nextLinks) for 127.0.0.1 as it does for graph.microsoft.com.
 */
export function newGraphClient(sim: Simulator, credential: ClientSecretCredential): Client {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] }),
    baseUrl: sim.url,
    customHosts: new Set([new URL(sim.url).hostname]),
  });
}

/** The origins the recorded requests went to, with how many went to each. */
export function originsOf(requests: readonly SentRequest[]): Map<string, number> {
  const origins = new Map<string, number>();
  for (const r of requests) origins.set(r.origin, (origins.get(r.origin) ?? 0) + 1);
  return origins;
}

/**
 * A $filter string literal as a URL query value: quotes doubled (OData), then percent-encoded. The Graph client
 * puts `.filter()` text into the URL as given, and Graph reads a raw '+' as a space, so a message id such as
 * `<…+…=@…>` must be encoded by the caller (as mailtrace's buildQuery does).
 */
export function odataString(value: string): string {
  return encodeURIComponent(`'${value.replaceAll("'", "''")}'`);
}

// ---- the oracle: what the tenant data says Graph must answer ----

export function isVisible(copy: SimMailboxCopy, nowMs: number): boolean {
  return Date.parse(copy.receivedDateTime) <= nowMs;
}

/** Copies of `messageId` in `user`'s mailbox visible at `nowMs`, split as Graph's two searches see them. */
export function expectedCopies(
  tenant: Tenant,
  user: SimUser,
  messageId: string,
  nowMs: number,
): { messages: SimMailboxCopy[]; recoverable: SimMailboxCopy[] } {
  const copies = tenant.copies.filter(
    (c) => c.mailboxUserId === user.id && c.internetMessageId === messageId && isVisible(c, nowMs),
  );
  return {
    messages: copies.filter((c) => c.folder !== 'recoverableitemsdeletions'),
    recoverable: copies.filter((c) => c.folder === 'recoverableitemsdeletions'),
  };
}

/** A searchable Exchange Online mailbox (what mailtrace searches; the others answer 403/404). */
export function searchable(user: SimUser): boolean {
  return (
    user.userType === 'Member' &&
    user.mailbox === 'exchangeOnline' &&
    !user.excludedByAccessPolicy &&
    user.unresolvable !== true
  );
}

export function decodeJwtPayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
