// App-only tokens (OAuth 2.0 client credentials) through @azure/msal-node, over our own HTTP stack so that the CA
// bundle and proxy settings apply to Entra too. msal builds and signs the request; this file owns caching, early
// refresh, roles, and turning Entra's refusals into a TokenError that says what to fix.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  ConfidentialClientApplication,
  type Configuration,
  LogLevel,
  type NetworkResponse,
} from '@azure/msal-node';
import { systemClock } from './clock.ts';
import { isMicrosoftAuthorityHost } from './clouds.ts';
import type { HttpAgent } from './http-agent.ts';
import { silentLogger } from './logger.ts';
import { redactString, redactUrl, registerSecret } from './redact.ts';
import { invalidCredential, toTokenError } from './token-errors.ts';
import type { AccessToken, Clock, Logger, TokenProvider } from './types.ts';

export type Credential =
  | { clientSecret: string }
  | { certificatePem: string; privateKeyPem: string; privateKeyPassphrase?: string };

export interface TokenProviderOptions {
  tenantId: string;
  clientId: string;
  credential: Credential;
  /** E.g. https://login.microsoftonline.com, or the simulator's origin. */
  authorityHost: string;
  /** The token audience, e.g. https://graph.microsoft.com (the scope is `${resource}/.default`). */
  resource: string;
  http: HttpAgent;
  clock?: Clock;
  logger?: Logger;
  /** Refresh when less than this remains (default 5 minutes). */
  refreshBeforeMs?: number;
  /** Per token request (default 30 s). */
  timeoutMs?: number;
}

export interface GraphTokenProvider extends TokenProvider {
  readonly scope: string;
}

const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;

export function createTokenProvider(options: TokenProviderOptions): GraphTokenProvider {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const authorityHost = options.authorityHost.replace(/\/+$/, '');
  const authority = `${authorityHost}/${options.tenantId}`;
  const scope = `${options.resource.replace(/\/+$/, '')}/.default`;
  const networkFailures = { last: undefined as unknown };
  const networkClient = createMsalNetworkClient(options.http, options.timeoutMs ?? 30_000, networkFailures);

  let app: ConfidentialClientApplication | undefined;
  let cached: AccessToken | undefined;
  let inFlight: Promise<AccessToken> | undefined;

  const acquire = async (): Promise<AccessToken> => {
    app ??= new ConfidentialClientApplication(
      buildConfiguration(options, authority, authorityHost, networkClient, logger),
    );
    const started = clock.now();
    networkFailures.last = undefined;
    try {
      const result = await app.acquireTokenByClientCredential({ scopes: [scope], skipCache: true });
      if (!result?.accessToken) throw new Error('Entra returned no access token');
      registerSecret(result.accessToken);
      // msal computes expiresOn from expires_in on the wall clock; carry the remaining lifetime over to our clock.
      const lifetimeMs = result.expiresOn ? result.expiresOn.getTime() - Date.now() : 0;
      const token: AccessToken = {
        token: result.accessToken,
        expiresOn: clock.now() + Math.max(0, lifetimeMs),
        roles: rolesOf(result.accessToken),
      };
      logger.debug('token.acquired', {
        authority: redactUrl(authority),
        durationMs: clock.now() - started,
        expiresInS: Math.round(lifetimeMs / 1000),
        roles: token.roles,
      });
      return token;
    } catch (error) {
      const tokenError = toTokenError(error, networkFailures.last, authorityHost, options.tenantId);
      logger.debug('token.failed', { error: tokenError.error, aadstsCode: tokenError.aadstsCode });
      throw tokenError;
    }
  };

  return {
    scope,
    async getToken(request = {}) {
      request.signal?.throwIfAborted();
      const fresh = cached !== undefined && cached.expiresOn - clock.now() > refreshBeforeMs;
      if (fresh && !request.forceRefresh) return cached as AccessToken;
      // One token request at a time: concurrent callers share it instead of stampeding Entra.
      inFlight ??= acquire()
        .then((token) => {
          cached = token;
          return token;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return abortable(inFlight, request.signal);
    },
  };
}

/** The `roles` claim of a JWT access token (payload decoded, not verified: Graph verifies it). */
export function rolesOf(accessToken: string): readonly string[] {
  const payload = accessToken.split('.')[1];
  if (payload === undefined) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

export interface CertificateCredential {
  thumbprintSha256: string;
  privateKey: string;
  x5c: string;
}

/**
 * What msal needs for certificate auth: the SHA-256 thumbprint (hex) and the public certificate (x5c) from the
 * certificate, and an unencrypted PEM private key. Checks that the key belongs to the certificate, because Entra's
 * answer to a mismatch (AADSTS700027) does not say which half is wrong.
 */
export function certificateCredential(
  certificatePem: string,
  privateKeyPem: string,
  passphrase?: string,
): CertificateCredential {
  const certBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(certificatePem)?.[0];
  if (!certBlock)
    throw invalidCredential('The certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----).');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certBlock);
  } catch (cause) {
    throw invalidCredential('The certificate PEM cannot be parsed.', cause);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(
      passphrase === undefined ? { key: privateKeyPem } : { key: privateKeyPem, passphrase },
    );
  } catch {
    // No cause: the parser's error may quote the key material.
    throw invalidCredential('The private key cannot be read (not a PEM private key, or a wrong passphrase).');
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw invalidCredential('The private key does not belong to the certificate.');
  }
  return {
    thumbprintSha256: certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    x5c: certBlock,
  };
}

function buildConfiguration(
  options: TokenProviderOptions,
  authority: string,
  authorityHost: string,
  networkClient: NonNullable<NonNullable<Configuration['system']>['networkClient']>,
  logger: Logger,
): Configuration {
  const credential = options.credential;
  let secretOrCertificate: Pick<Configuration['auth'], 'clientSecret' | 'clientCertificate'>;
  if ('clientSecret' in credential) {
    if (credential.clientSecret === '') throw invalidCredential('The client secret is empty.');
    registerSecret(credential.clientSecret);
    secretOrCertificate = { clientSecret: credential.clientSecret };
  } else {
    secretOrCertificate = {
      clientCertificate: certificateCredential(
        credential.certificatePem,
        credential.privateKeyPem,
        credential.privateKeyPassphrase,
      ),
    };
  }
  const host = new URL(authorityHost).host;
  return {
    auth: {
      clientId: options.clientId,
      authority,
      ...secretOrCertificate,
      // A host msal does not know would otherwise be checked against Microsoft's instance discovery endpoint.
      ...(isMicrosoftAuthorityHost(authorityHost) ? {} : { knownAuthorities: [host] }),
      // Known endpoints: no OpenID metadata round-trip, and an unknown tenant reaches the token endpoint, whose
      // AADSTS90002 answer explains itself (a failed metadata fetch would only say "endpoints cannot be resolved").
      authorityMetadata: JSON.stringify({
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        issuer: `${authority}/v2.0`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
      }),
    },
    system: {
      networkClient,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (_level, message) => logger.debug('msal', { message: redactString(message) }),
      },
    },
  };
}

function createMsalNetworkClient(http: HttpAgent, timeoutMs: number, failures: { last: unknown }) {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    headers?: Record<string, string>,
    body?: string,
  ) => {
    let response: Awaited<ReturnType<HttpAgent['fetch']>>;
    let text: string;
    try {
      response = await http.fetch(url, {
        method,
        ...(headers ? { headers } : {}),
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      failures.last = cause;
      throw cause;
    }
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      responseHeaders[key.toLowerCase()] = value;
    });
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      const invalid = new Error(
        `${method} ${redactUrl(url)} answered ${response.status} with a non-JSON body`,
      );
      failures.last = invalid;
      throw invalid;
    }
    return {
      status: response.status,
      headers: responseHeaders,
      body: parsed as T,
    } satisfies NetworkResponse<T>;
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: { headers?: Record<string, string> }) =>
      send<T>('GET', url, options?.headers),
    sendPostRequestAsync: <T>(url: string, options?: { headers?: Record<string, string>; body?: string }) =>
      send<T>('POST', url, options?.headers, options?.body),
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
