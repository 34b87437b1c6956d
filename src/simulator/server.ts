// The simulator's HTTPS front door: one listener on 127.0.0.1 that is both the Entra authority and the Graph
// endpoint for several tenants. It owns TLS material, the clock, stats and the Graph pipeline; resources are
// plugged in through `router` (see http-types.ts).
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueAccessToken, type SigningKey, validateAccessToken } from './access-token.ts';
import { executeBatch } from './batch.ts';
import { ControllableClock } from './clock.ts';
import { GRAPH_ROOTS, handleEntra } from './entra.ts';
import { FaultInjector, resolveFaultConfig } from './faults.ts';
import { tokenFailureResponse } from './graph-auth.ts';
import { GRAPH_JSON_CONTENT_TYPE, type GraphCall, GraphPipeline } from './graph-pipeline.ts';
import {
  type CreateGraphRouter,
  type FaultConfig,
  type GraphRouter,
  graphError,
  type SimResponse,
} from './http-types.ts';
import { delay, type LatencyModel, resolveLatencyModel, sampleLatencyMs } from './latency.ts';
import { type LimitConfig, resolveLimitConfig } from './limits.ts';
import type { Tenant } from './model.ts';
import { mixSeed, seededRandom } from './random.ts';
import { SimStats } from './stats.ts';
import { type IssuedCertificate, issueCertificate, thumbprintOf } from './tls.ts';

export type { LatencyModel, LimitConfig };
export { ControllableClock, SimStats };

export interface SimulatorOptions {
  /** Several tenants in one server (MSSP); the token's `tid` selects the tenant. */
  tenants: Tenant[];
  /** Graph resources; without it every Graph path answers 400 like an unknown segment. */
  router?: CreateGraphRouter;
  /** Default 0 (a free port); the host is always 127.0.0.1. */
  port?: number;
  /** Default 'realistic'. */
  latency?: 'realistic' | 'zero' | LatencyModel;
  /** Default: no faults. */
  faults?: Partial<FaultConfig>;
  limits?: Partial<LimitConfig>;
  /** Default: starts at tenants[0].anchor and runs at real speed. */
  clock?: ControllableClock;
  /** Where the CA and server certificate PEMs are written (default: a fresh directory under os.tmpdir()). */
  stateDir?: string;
  /** Default [3600, 5400] (60 to 90 minutes), like Entra. */
  accessTokenLifetimeSeconds?: [number, number];
}

export interface Simulator {
  /** https://127.0.0.1:PORT: the authority host AND the Graph endpoint. */
  url: string;
  /** The CA clients must trust. */
  caCertPem: string;
  caCertPath: string;
  clock: ControllableClock;
  stats: SimStats;
  /** Live objects: tests may mutate them (e.g. remove a role) and the server sees it. */
  tenants: Tenant[];
  /** Replaces the fault configuration (unset rates are 0) and restarts the seeded stream. */
  setFaults(faults: Partial<FaultConfig>): void;
  /** Creates a key pair + X.509 certificate, registers it on the app, returns PEMs (for certificate auth). */
  addAppCertificate(tenantId: string, clientId: string): { certificatePem: string; privateKeyPem: string };
  /** A valid access token without the OAuth round trip (for resource tests); roles default to the app's. */
  mintAccessToken(tenantId: string, clientId: string, options?: { lifetimeSeconds?: number }): string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const CERT_LIFETIME_MS = 2 * 365 * 24 * 3600 * 1000;

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const firstTenant = options.tenants[0];
  if (!firstTenant) throw new Error('startSimulator needs at least one tenant');
  const clock = options.clock ?? new ControllableClock(defaultStart(firstTenant.anchor, Date.now()));
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'mailtrace-sim-'));
  const lifetime = options.accessTokenLifetimeSeconds ?? [3600, 5400];
  if (!(lifetime[0] > 0 && lifetime[1] >= lifetime[0]))
    throw new RangeError('invalid accessTokenLifetimeSeconds');

  // Validity spans both real time (TLS checks it) and sim time (Entra checks app certificates against it).
  const validity = () => {
    const times = [Date.now(), clock.nowMs()];
    return {
      notBefore: new Date(Math.min(...times) - 86_400_000),
      notAfter: new Date(Math.max(...times) + CERT_LIFETIME_MS),
    };
  };
  const ca = issueCertificate({
    commonName: 'mailtrace simulator CA',
    profile: { kind: 'ca' },
    ...validity(),
  });
  const serverCert = issueCertificate({
    commonName: '127.0.0.1',
    profile: { kind: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
    issuer: ca,
    ...validity(),
  });
  const signingCert = issueCertificate({
    commonName: 'mailtrace simulator token signing',
    profile: { kind: 'signing' },
    issuer: ca,
    ...validity(),
  });
  const signingKey: SigningKey = {
    privateKey: signingCert.privateKey,
    publicKey: signingCert.publicKey,
    kid: thumbprintOf(signingCert).x5t,
    certificateDer: signingCert.certificateDer,
  };
  const caCertPath = join(stateDir, 'ca.pem');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(caCertPath, ca.certificatePem);
  writeFileSync(join(stateDir, 'server.pem'), serverCert.certificatePem);

  const stats = new SimStats();
  const faults = new FaultInjector(resolveFaultConfig(options.faults));
  const latency = resolveLatencyModel(options.latency);
  const limits = resolveLimitConfig(options.limits);
  const tenants = options.tenants;
  const routers = new Map<string, GraphRouter>();
  for (const tenant of tenants)
    if (options.router) routers.set(tenant.tenantId, options.router(tenant, clock));
  const tokenRandom = seededRandom(mixSeed(faults.config.seed, 0x70c3));

  const server = createServer({
    key: serverCert.privateKeyPem,
    cert: serverCert.certificatePem + ca.certificatePem,
    keepAliveTimeout: 30_000,
  });
  let baseUrl = '';
  let pipeline: GraphPipeline | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    stats.totalRequests++;
    const arrival = pipeline?.nextArrival() ?? 0;
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    const clientRequestId = headerValue(req, 'client-request-id');
    const version = /^\/(v1\.0|beta)(\/|$)/.exec(url.pathname)?.[1] as 'v1.0' | 'beta' | undefined;
    if (version) {
      await handleGraph(req, res, { method, version, url, body, clientRequestId, arrival });
      return;
    }
    const started = performance.now();
    const isToken = url.pathname.endsWith('/oauth2/v2.0/token');
    const endpointClass = isToken ? 'token' : 'discovery';
    stats.countRequest(endpointClass, undefined);
    await delay(sampleLatencyMs(latency, endpointClass, tokenRandom));
    const response = handleEntra(
      {
        method,
        path: url.pathname,
        query: url.searchParams,
        body: body.toString('utf8'),
        clientRequestId,
        authorization: headerValue(req, 'authorization'),
      },
      {
        baseUrl,
        tenants,
        simNowMs: () => clock.nowMs(),
        signingKey,
        accessTokenLifetimeSeconds: lifetime,
        random: tokenRandom,
      },
    ) ?? {
      status: 404,
      body: { error: 'not_found', error_description: `No Entra endpoint at ${url.pathname}` },
    };
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}),
      ...response.headers,
    };
    writeResponse(res, response, headers);
    stats.record({
      method,
      path: url.pathname,
      status: response.status,
      endpointClass,
      simTime: clock.now().toISOString(),
      realDurationMs: performance.now() - started,
      clientRequestId: clientRequestId ?? '',
    });
  };

  const handleGraph = async (
    req: IncomingMessage,
    res: ServerResponse,
    r: {
      method: string;
      version: 'v1.0' | 'beta';
      url: URL;
      body: Buffer;
      clientRequestId: string | undefined;
      arrival: number;
    },
  ) => {
    const requestId = randomUUID();
    const clientRequestId = r.clientRequestId ?? randomUUID();
    const standardHeaders = (status: number): Record<string, string> => ({
      'content-type': GRAPH_JSON_CONTENT_TYPE,
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': JSON.stringify({
        ServerInfo: { DataCenter: 'Simulated', Slice: 'E', Ring: '5' },
      }),
      ...(status >= 200 && status < 300 ? {} : { 'cache-control': 'private' }),
    });
    const errorContext = { now: clock.now(), requestId, clientRequestId };
    const auth = validateAccessToken(
      headerValue(req, 'authorization'),
      signingKey,
      tenants,
      acceptedAudiences(baseUrl),
      clock.nowMs(),
    );
    if (!auth.ok) {
      stats.countRequest('other', undefined);
      const response = tokenFailureResponse(errorContext, auth.reason);
      writeResponse(res, response, { ...standardHeaders(response.status), ...response.headers });
      stats.record({
        method: r.method,
        path: r.url.pathname.slice(r.version.length + 1) + r.url.search,
        status: 401,
        endpointClass: 'other',
        simTime: clock.now().toISOString(),
        realDurationMs: 0,
        clientRequestId,
      });
      return;
    }
    let json: unknown;
    if (r.body.length > 0) {
      try {
        json = JSON.parse(r.body.toString('utf8'));
      } catch {
        const response = graphError(errorContext, 400, 'BadRequest', 'Unable to read JSON request payload.');
        writeResponse(res, response, standardHeaders(400));
        return;
      }
    }
    const router = routers.get(auth.tenant.tenantId);
    const call: GraphCall = {
      method: r.method,
      version: r.version,
      // From the raw request line: WHATWG URL parsing would re-encode characters such as ' in the query.
      ...rawPathAndQuery(req.url ?? '/', r.version),
      headers: lowerCaseHeaders(req),
      body: json,
      tenant: auth.tenant,
      app: auth.app,
      roles: auth.roles,
      requestId,
      clientRequestId,
      arrival: r.arrival,
    };
    const active = pipeline!;
    const outcome = await active.execute(call, (simRequest) => {
      if (call.path.toLowerCase() === '/$batch') {
        return executeBatch(simRequest, {
          itemConcurrency: limits.batchItemConcurrency,
          groupKey: (item) => active.batchGroupKey(call.tenant, splitUrl(item.url).path),
          recordPeak: (peak) => {
            stats.peakBatchOutlookConcurrency = Math.max(stats.peakBatchOutlookConcurrency, peak);
          },
          runItem: async (item) => {
            const { path, rawQuery } = splitUrl(item.url);
            const itemRequestId = randomUUID();
            const itemClientRequestId = item.headers['client-request-id'] ?? randomUUID();
            const itemOutcome = await active.execute(
              {
                ...call,
                method: item.method,
                path,
                rawQuery,
                headers: item.headers,
                body: item.body,
                requestId: itemRequestId,
                clientRequestId: itemClientRequestId,
                batchRequestId: requestId,
              },
              (itemRequest) =>
                path.toLowerCase() === '/$batch' ? nestedBatch(itemRequest) : router?.(itemRequest),
            );
            const response =
              itemOutcome.kind === 'response'
                ? itemOutcome.response
                : graphError(
                    itemRequest(itemRequestId, itemClientRequestId),
                    504,
                    'GatewayTimeout',
                    'No response.',
                  );
            return {
              ...response,
              headers: {
                'Content-Type': GRAPH_JSON_CONTENT_TYPE,
                'request-id': itemRequestId,
                'client-request-id': itemClientRequestId,
                ...response.headers,
              },
            };
          },
        });
      }
      return router?.(simRequest);
    });
    if (outcome.kind === 'connectionReset') {
      req.socket.destroy();
      return;
    }
    writeResponse(res, outcome.response, {
      ...standardHeaders(outcome.response.status),
      ...outcome.response.headers,
    });
    function itemRequest(id: string, clientId: string) {
      return { now: clock.now(), requestId: id, clientRequestId: clientId };
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = error instanceof PayloadTooLarge ? 413 : 500;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: status === 413 ? 'RequestEntityTooLarge' : 'InternalServerError' } }),
      );
    });
  });
  // A client that drops the socket mid-request must not crash the simulator.
  server.on('tlsClientError', () => {});
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('simulator did not get a TCP port');
  baseUrl = `https://127.0.0.1:${address.port}`;
  pipeline = new GraphPipeline({ clock, limits, faults, latency, stats, baseUrl });

  return {
    url: baseUrl,
    caCertPem: ca.certificatePem,
    caCertPath,
    clock,
    stats,
    tenants,
    setFaults: (next) => faults.configure(resolveFaultConfig(next)),
    addAppCertificate: (tenantId, clientId) => {
      const app = findApp(tenants, tenantId, clientId);
      const times = validity();
      const cert: IssuedCertificate = issueCertificate({
        commonName: `${app.displayName} (${clientId})`,
        profile: { kind: 'client' },
        issuer: ca,
        ...times,
      });
      app.certificates.push({ certificatePem: cert.certificatePem, expiresAt: times.notAfter.toISOString() });
      return { certificatePem: cert.certificatePem, privateKeyPem: cert.privateKeyPem };
    },
    mintAccessToken: (tenantId, clientId, mintOptions) => {
      const app = findApp(tenants, tenantId, clientId);
      const tenant = tenants.find((t) => t.tenantId === tenantId)!;
      return issueAccessToken(signingKey, {
        tenant,
        app,
        audience: baseUrl,
        nowMs: clock.nowMs(),
        lifetimeSeconds: mintOptions?.lifetimeSeconds ?? lifetime[0],
        credentialType: '1',
      });
    },
    close: async () => {
      await closeServer(server);
      // Only a directory this call created is removed; a caller's stateDir is left alone.
      if (options.stateDir === undefined) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function nestedBatch(req: Parameters<GraphRouter>[0]): SimResponse {
  return graphError(req, 400, 'BadRequest', 'Nested $batch requests are not supported.');
}

function findApp(tenants: Tenant[], tenantId: string, clientId: string) {
  const tenant = tenants.find((t) => t.tenantId === tenantId);
  const app = tenant?.apps.find((a) => a.clientId === clientId);
  if (!app) throw new Error(`no app ${clientId} in tenant ${tenantId}`);
  return app;
}

function acceptedAudiences(baseUrl: string): ReadonlySet<string> {
  return new Set([
    baseUrl,
    `${baseUrl}/`,
    ...GRAPH_ROOTS.flatMap((root) => [root, `${root}/`]),
    '00000003-0000-0000-c000-000000000000',
  ]);
}

/** Batch item URLs are relative to the version root, with or without a leading slash. */
function splitUrl(url: string): { path: string; rawQuery: string } {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  return {
    path: rawPath.startsWith('/') ? rawPath : `/${rawPath}`,
    rawQuery: q === -1 ? '' : url.slice(q + 1),
  };
}

function rawPathAndQuery(rawUrl: string, version: string): { path: string; rawQuery: string } {
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  return { path: rawPath.slice(version.length + 1) || '/', rawQuery: q === -1 ? '' : rawUrl.slice(q + 1) };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

class PayloadTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PayloadTooLarge('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function writeResponse(res: ServerResponse, response: SimResponse, headers: Record<string, string>): void {
  const payload = response.body === undefined ? undefined : JSON.stringify(response.body);
  if (payload === undefined) delete headers['content-type'];
  res.writeHead(response.status, headers);
  res.end(payload);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * A freshly generated tenant is anchored at the current minute: the service's clock then runs at real time from
 * now, as Microsoft's does (starting at the anchor would put the service up to a minute behind its clients, and
 * it would refuse their "until now" windows as being in the future). A tenant anchored elsewhere (a saved or
 * hand-written file) replays from its anchor.
 */
export function defaultStart(anchor: string, nowMs: number): Date {
  const anchorMs = Date.parse(anchor);
  const recent = anchorMs <= nowMs && nowMs - anchorMs < 60 * 60_000;
  return new Date(recent ? nowMs : anchorMs);
}
