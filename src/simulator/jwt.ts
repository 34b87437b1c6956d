// Compact JWS (RS256 / PS256) signing and parsing with node:crypto: enough for client assertions and the
// simulator's own access tokens. Parsing never throws on attacker input shape beyond a typed JwtFormatError.
import { constants, type KeyObject, sign, verify } from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'PS256';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export class JwtFormatError extends Error {
  override name = 'JwtFormatError';
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject,
): string {
  const alg = header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') throw new JwtFormatError(`unsupported alg ${String(alg)}`);
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput), keyOptions(alg, privateKey));
  return `${signingInput}.${base64url(signature)}`;
}

export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtFormatError('JWT must have three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  return {
    header: parseJsonObject(h, 'header'),
    payload: parseJsonObject(p, 'payload'),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** True when the signature verifies with `publicKey` under the header's alg (RS256 or PS256 only). */
export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  const alg = jwt.header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') return false;
  try {
    return verify('sha256', Buffer.from(jwt.signingInput), keyOptions(alg, publicKey), jwt.signature);
  } catch {
    return false;
  }
}

function keyOptions(alg: JwtAlgorithm, key: KeyObject) {
  return alg === 'PS256'
    ? {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: key.type === 'private' ? 32 : constants.RSA_PSS_SALTLEN_AUTO,
      }
    : key;
}

function parseJsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtFormatError(`JWT ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtFormatError(`JWT ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
