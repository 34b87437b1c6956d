// Entra ID's endpoints that a confidential client (and msal-node) uses: the v2.0 token endpoint for the
// client-credentials grant (secret or certificate assertion), the OpenID discovery document, the JWKS and
// the instance-discovery document.
import { X509Certificate } from 'node:crypto';
import { GRAPH_APP_ID, issueAccessToken, type SigningKey } from './access-token.ts';
import { type EntraFailure, entraErrorResponse, entraFailures } from './entra-errors.ts';
import type { SimResponse } from './http-types.ts';
import { type DecodedJwt, decodeJwt, JwtFormatError, verifyJwtSignature } from './jwt.ts';
import type { SimApp, Tenant } from './model.ts';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const PUBLIC_GRAPH_ROOT = 'https://graph.microsoft.com';
/** The simulator can stand in for any cloud: a client of a national cloud asks for that cloud's Graph root. */
export const GRAPH_ROOTS: readonly string[] = [
  PUBLIC_GRAPH_ROOT,
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
];
/** Entra tolerates this much clock skew on assertion times. */
const ASSERTION_SKEW_SECONDS = 300;
/** Longest accepted assertion lifetime (msal issues 10 minutes; a little slack for slow clients). */
const ASSERTION_MAX_LIFETIME_SECONDS = 660;

export interface EntraContext {
  /** https://127.0.0.1:PORT: both the authority host and the Graph root. */
  baseUrl: string;
  tenants: readonly Tenant[];
  simNowMs: () => number;
  signingKey: SigningKey;
  accessTokenLifetimeSeconds: readonly [number, number];
  random: () => number;
}

export interface EntraRequest {
  method: string;
  /** Path without query, e.g. "/contoso.com/oauth2/v2.0/token". */
  path: string;
  query: URLSearchParams;
  body: string;
  clientRequestId: string | undefined;
  /** The Authorization header: `Basic base64(client_id:client_secret)` for client_secret_basic. */
  authorization?: string | undefined;
}

/** Finds a tenant by GUID or by one of its domains (case-insensitive). */
export function findTenant(tenants: readonly Tenant[], ref: string): Tenant | undefined {
  const lower = ref.toLowerCase();
  return tenants.find(
    (t) => t.tenantId.toLowerCase() === lower || t.domains.some((d) => d.toLowerCase() === lower),
  );
}

/** Answers an Entra path, or undefined when the path is not an Entra endpoint. */
export function handleEntra(req: EntraRequest, ctx: EntraContext): SimResponse | undefined {
  const segments = req.path.split('/').filter(Boolean).map(safeDecode);
  const [tenantRef, ...rest] = segments;
  if (tenantRef === undefined) return undefined;
  const route = rest.join('/');
  if (req.method === 'POST' && route === 'oauth2/v2.0/token') return tokenEndpoint(req, ctx, tenantRef);
  if (req.method !== 'GET') return undefined;
  if (route === 'oauth2/v2.0/token') {
    return entraErrorResponse(entraFailures.tokenNotPost(req.method), new Date(ctx.simNowMs()), req.clientRequestId);
  }
  if (tenantRef === 'common' && route === 'discovery/instance') return instanceDiscovery(req, ctx);
  if (route === 'v2.0/.well-known/openid-configuration') return openIdConfiguration(req, ctx, tenantRef);
  if (route === 'discovery/v2.0/keys' || route === 'discovery/keys') return jwks(ctx);
  return undefined;
}

function tokenEndpoint(req: EntraRequest, ctx: EntraContext, tenantRef: string): SimResponse {
  const now = new Date(ctx.simNowMs());
  const fail = (failure: EntraFailure) => entraErrorResponse(failure, now, req.clientRequestId);
  const form = new URLSearchParams(req.body);
  const tenant = findTenant(ctx.tenants, tenantRef);
  if (!tenant) return fail(entraFailures.tenantNotFound(tenantRef));
  const grantType = form.get('grant_type');
  if (!grantType) return fail(entraFailures.missingParameter('grant_type'));
  if (grantType !== 'client_credentials') return fail(entraFailures.unsupportedGrantType(grantType));
  const basic = basicCredentials(req.authorization);
  if (basic) {
    // client_secret_basic (RFC 6749 §2.3.1; advertised in the discovery document). What Entra answers when the
    // header and the body disagree is not documented: here the body wins (our assumption).
    if (!form.has('client_id')) form.set('client_id', basic.clientId);
    if (!form.has('client_secret') && !form.has('client_assertion')) form.set('client_secret', basic.secret);
  }
  const clientId = form.get('client_id');
  if (!clientId) return fail(entraFailures.missingParameter('client_id'));
  const scope = form.get('scope');
  if (!scope) return fail(entraFailures.missingParameter('scope'));
  const app = tenant.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
  if (!app) return fail(entraFailures.applicationNotFound(clientId, tenantRef));
  if (isResourceWithoutDefault(scope, ctx.baseUrl)) return fail(entraFailures.scopeWithoutDefault(scope));
  const audience = audienceForScope(scope, ctx.baseUrl);
  if (!audience) return fail(entraFailures.invalidScope(scope));

  const credential = checkCredential(form, app, tenant, tenantRef, ctx, now);
  if ('status' in credential) return fail(credential);

  const [minLifetime, maxLifetime] = ctx.accessTokenLifetimeSeconds;
  const lifetimeSeconds = Math.floor(minLifetime + ctx.random() * (maxLifetime - minLifetime + 1));
  const accessToken = issueAccessToken(ctx.signingKey, {
    tenant,
    app,
    audience,
    nowMs: now.getTime(),
    lifetimeSeconds: Math.min(lifetimeSeconds, maxLifetime),
    credentialType: credential.credentialType,
  });
  return {
    status: 200,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    body: {
      token_type: 'Bearer',
      expires_in: Math.min(lifetimeSeconds, maxLifetime),
      ext_expires_in: Math.min(lifetimeSeconds, maxLifetime),
      access_token: accessToken,
    },
  };
}

/** `client_id:client_secret` from a Basic Authorization header (each part form-urlencoded, RFC 6749 §2.3.1). */
function basicCredentials(header: string | undefined): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const unescape = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
  try {
    return { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return undefined; // not percent-decodable: no credential read from it
  }
}

/** A Graph resource or permission asked for without `/.default`: client credentials need the `.default` form. */
function isResourceWithoutDefault(scope: string, baseUrl: string): boolean {
  const scopes = scope.split(/\s+/).filter(Boolean);
  if (scopes.length !== 1 || scopes[0]!.endsWith('/.default')) return false;
  const value = scopes[0]!.replace(/\/+$/, '');
  const roots = [baseUrl, PUBLIC_GRAPH_ROOT, GRAPH_APP_ID, ...GRAPH_ROOTS];
  return roots.some((root) => value === root || value.startsWith(`${root}/`));
}

/** The token audience for a `.default` scope of this server's Graph root (or the public one), else undefined. */
function audienceForScope(scope: string, baseUrl: string): string | undefined {
  const scopes = scope.split(/\s+/).filter(Boolean);
  if (scopes.length !== 1) return undefined;
  const resource = scopes[0]!.replace(/\/\.default$/, '');
  if (resource === scopes[0]) return undefined;
  const normalised = resource.replace(/\/+$/, '');
  if (normalised === baseUrl) return baseUrl;
  if (normalised === GRAPH_APP_ID) return PUBLIC_GRAPH_ROOT;
  if (GRAPH_ROOTS.includes(normalised)) return normalised;
  return undefined;
}

function checkCredential(
  form: URLSearchParams,
  app: SimApp,
  tenant: Tenant,
  tenantRef: string,
  ctx: EntraContext,
  now: Date,
): EntraFailure | { credentialType: '1' | '2' } {
  const secret = form.get('client_secret');
  if (secret !== null) {
    const match = app.secrets.find((s) => s.value === secret);
    if (!match) return entraFailures.invalidSecret(app.clientId);
    if (Date.parse(match.expiresAt) <= now.getTime()) return entraFailures.expiredSecret(app.clientId);
    return { credentialType: '1' };
  }
  const assertion = form.get('client_assertion');
  if (assertion === null) return entraFailures.missingCredential();
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE)
    return entraFailures.unsupportedAssertionType();
  const failure = checkAssertion(assertion, app, tenant, tenantRef, ctx, now);
  return failure ?? { credentialType: '2' };
}

function checkAssertion(
  assertion: string,
  app: SimApp,
  tenant: Tenant,
  tenantRef: string,
  ctx: EntraContext,
  now: Date,
): EntraFailure | undefined {
  let jwt: DecodedJwt;
  try {
    jwt = decodeJwt(assertion);
  } catch (error) {
    if (error instanceof JwtFormatError) return entraFailures.malformedAssertion();
    throw error;
  }
  const sha256 = typeof jwt.header['x5t#S256'] === 'string' ? jwt.header['x5t#S256'] : undefined;
  const sha1 = typeof jwt.header.x5t === 'string' ? jwt.header.x5t : undefined;
  if (!sha256 && !sha1) return entraFailures.unknownCertificate(app.clientId, 'none');
  const registered = app.certificates.find((c) => {
    const x509 = new X509Certificate(c.certificatePem);
    return sha256 ? hexToB64url(x509.fingerprint256) === sha256 : hexToB64url(x509.fingerprint) === sha1;
  });
  if (!registered) {
    const hex = Buffer.from((sha256 ?? sha1)!, 'base64url')
      .toString('hex')
      .toUpperCase();
    return entraFailures.unknownCertificate(app.clientId, hex);
  }
  if (!verifyJwtSignature(jwt, new X509Certificate(registered.certificatePem).publicKey)) {
    return entraFailures.badSignature();
  }
  if (Date.parse(registered.expiresAt) <= now.getTime())
    return entraFailures.expiredCertificate(app.clientId);

  const { iss, sub, aud, nbf, iat, exp } = jwt.payload;
  if (iss !== app.clientId || sub !== app.clientId) return entraFailures.assertionIssuerMismatch();
  const audience = typeof aud === 'string' ? aud : '';
  if (!acceptedAssertionAudiences(ctx.baseUrl, tenant).has(stripQuery(audience).toLowerCase())) {
    return entraFailures.assertionAudienceMismatch(audience || tenantRef);
  }
  const start = typeof nbf === 'number' ? nbf : typeof iat === 'number' ? iat : undefined;
  const end = typeof exp === 'number' ? exp : undefined;
  // The client signs with its own (real) clock while tests may scale the sim clock: either clock may vouch.
  const inRange = (nowSeconds: number) =>
    start !== undefined &&
    end !== undefined &&
    end > nowSeconds &&
    start <= nowSeconds + ASSERTION_SKEW_SECONDS &&
    end - start <= ASSERTION_MAX_LIFETIME_SECONDS;
  if (!inRange(now.getTime() / 1000) && !inRange(Date.now() / 1000)) {
    return entraFailures.assertionTimeRange(now, start, end);
  }
  return undefined;
}

/** The token URL (under any of the tenant's names) or the issuer form `{url}/{tenant}/v2.0`. */
function acceptedAssertionAudiences(baseUrl: string, tenant: Tenant): Set<string> {
  const accepted = new Set<string>();
  for (const name of [tenant.tenantId, ...tenant.domains]) {
    accepted.add(`${baseUrl}/${name}/oauth2/v2.0/token`.toLowerCase());
    accepted.add(`${baseUrl}/${name}/v2.0`.toLowerCase());
  }
  return accepted;
}

function openIdConfiguration(req: EntraRequest, ctx: EntraContext, tenantRef: string): SimResponse {
  const isMultiTenant = ['common', 'organizations'].includes(tenantRef.toLowerCase());
  const tenant = isMultiTenant ? undefined : findTenant(ctx.tenants, tenantRef);
  if (!isMultiTenant && !tenant) {
    // Discovery names the error invalid_tenant where the token endpoint says invalid_request (both AADSTS90002).
    return entraErrorResponse(
      { ...entraFailures.tenantNotFound(tenantRef), error: 'invalid_tenant' },
      new Date(ctx.simNowMs()),
      req.clientRequestId,
    );
  }
  const id = tenant?.tenantId ?? '{tenantid}';
  const base = `${ctx.baseUrl}/${tenant ? id : tenantRef}`;
  const host = new URL(ctx.baseUrl).host;
  return {
    status: 200,
    body: {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${ctx.baseUrl}/${id}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${ctx.baseUrl}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'roles'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: host,
      cloud_graph_host_name: host,
      msgraph_host: host,
      rbac_url: ctx.baseUrl,
    },
  };
}

function instanceDiscovery(req: EntraRequest, ctx: EntraContext): SimResponse {
  const host = new URL(ctx.baseUrl).host;
  const authorize = req.query.get('authorization_endpoint');
  let tenantSegment = 'common';
  if (authorize) {
    try {
      tenantSegment = new URL(authorize).pathname.split('/').filter(Boolean)[0] ?? 'common';
    } catch {
      // a malformed hint falls back to 'common', as the real service does
    }
  }
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `${ctx.baseUrl}/${tenantSegment}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    },
  };
}

function jwks(ctx: EntraContext): SimResponse {
  const jwk = ctx.signingKey.publicKey.export({ format: 'jwk' });
  return {
    status: 200,
    body: {
      keys: [
        {
          kty: 'RSA',
          use: 'sig',
          kid: ctx.signingKey.kid,
          x5t: ctx.signingKey.kid,
          n: jwk.n,
          e: jwk.e,
          x5c: [ctx.signingKey.certificateDer.toString('base64')],
        },
      ],
    },
  };
}

function hexToB64url(colonHex: string): string {
  return Buffer.from(colonHex.replaceAll(':', ''), 'hex').toString('base64url');
}

function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
