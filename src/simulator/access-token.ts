// The simulator's own access tokens: RS256 JWTs signed with its token-signing certificate, shaped like Entra's
// v1.0 app-only Graph tokens, issued and checked against the sim clock.
import { createHash, type KeyObject, randomUUID } from 'node:crypto';
import { decodeJwt, JwtFormatError, signJwt, verifyJwtSignature } from './jwt.ts';
import type { SimApp, Tenant } from './model.ts';

/** Graph's well-known application id: a v1 token's `aud` may be this instead of the resource URL. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** base64url SHA-1 thumbprint of the signing certificate (used as kid and x5t, like Entra). */
  kid: string;
  certificateDer: Buffer;
}

export interface IssueTokenInput {
  tenant: Tenant;
  app: SimApp;
  audience: string;
  nowMs: number;
  lifetimeSeconds: number;
  /** '1' client secret, '2' certificate (Entra's appidacr). */
  credentialType: '1' | '2';
}

export function issueAccessToken(key: SigningKey, input: IssueTokenInput): string {
  const iat = Math.floor(input.nowMs / 1000);
  const issuer = `https://sts.windows.net/${input.tenant.tenantId}/`;
  const oid = servicePrincipalObjectId(input.tenant.tenantId, input.app.clientId);
  return signJwt(
    { typ: 'JWT', alg: 'RS256', x5t: key.kid, kid: key.kid },
    {
      aud: input.audience,
      iss: issuer,
      iat,
      nbf: iat,
      exp: iat + input.lifetimeSeconds,
      aio: randomUUID(),
      app_displayname: input.app.displayName,
      appid: input.app.clientId,
      appidacr: input.credentialType,
      idp: issuer,
      idtyp: 'app',
      oid,
      rh: '0.simulated.',
      // Entra leaves the claim out when no application permission is granted.
      ...(input.app.roles.length ? { roles: [...input.app.roles] } : {}),
      sub: oid,
      tid: input.tenant.tenantId,
      uti: randomUUID().replaceAll('-', ''),
      ver: '1.0',
    },
    key.privateKey,
  );
}

/** A stable object id for the app's service principal in a tenant (what `oid` holds in app-only tokens). */
export function servicePrincipalObjectId(tenantId: string, clientId: string): string {
  const hex = createHash('sha256').update(`sp:${tenantId}:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export type TokenValidation =
  | { ok: true; tenant: Tenant; app: SimApp; roles: ReadonlySet<string>; claims: Record<string, unknown> }
  | { ok: false; reason: 'empty' | 'malformed' | 'invalid' | 'expired' };

export function validateAccessToken(
  authorization: string | undefined,
  key: SigningKey,
  tenants: readonly Tenant[],
  acceptedAudiences: ReadonlySet<string>,
  nowMs: number,
): TokenValidation {
  const match = /^Bearer\s+(\S*)\s*$/i.exec(authorization ?? '');
  const token = match?.[1];
  if (!token) return { ok: false, reason: 'empty' };
  let claims: Record<string, unknown>;
  try {
    const jwt = decodeJwt(token);
    if (jwt.header.alg !== 'RS256' || !verifyJwtSignature(jwt, key.publicKey))
      return { ok: false, reason: 'invalid' };
    claims = jwt.payload;
  } catch (error) {
    if (error instanceof JwtFormatError) return { ok: false, reason: 'malformed' };
    throw error;
  }
  if (typeof claims.aud !== 'string' || !acceptedAudiences.has(claims.aud))
    return { ok: false, reason: 'invalid' };
  const tenant = tenants.find((t) => t.tenantId === claims.tid);
  const app = tenant?.apps.find((a) => a.clientId === claims.appid);
  if (!tenant || !app) return { ok: false, reason: 'invalid' };
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r): r is string => typeof r === 'string')
    : [];
  return { ok: true, tenant, app, roles: new Set(roles), claims };
}
