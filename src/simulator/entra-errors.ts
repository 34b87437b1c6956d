// Entra ID's OAuth error body (reference §1): clients must branch on `error` / `error_codes`, so these are
// exact; descriptions follow Microsoft's wording and end with the Trace ID / Correlation ID / Timestamp lines.
import { randomUUID } from 'node:crypto';
import type { SimResponse } from './http-types.ts';

export type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'invalid_tenant';

export interface EntraFailure {
  status: 400 | 401;
  error: OAuthError;
  code: number;
  description: string;
}

export function entraErrorResponse(
  failure: EntraFailure,
  now: Date,
  correlationId: string = randomUUID(),
): SimResponse {
  const traceId = randomUUID();
  const timestamp = entraTimestamp(now);
  return {
    status: failure.status,
    headers: { 'x-ms-request-id': traceId },
    body: {
      error: failure.error,
      error_description:
        `AADSTS${failure.code}: ${failure.description}\r\nTrace ID: ${traceId}\r\n` +
        `Correlation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [failure.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${failure.code}`,
    },
  };
}

/** "2016-01-09 02:02:12Z", Entra's format. */
export function entraTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

export const entraFailures = {
  // AADSTS900561 as Entra answers a GET on the token endpoint (error code list, learn.microsoft.com
  // "Microsoft Entra authentication and authorization error codes").
  tokenNotPost: (method: string): EntraFailure => ({
    status: 400,
    error: 'invalid_request',
    code: 900561,
    description: `The endpoint only accepts POST, OPTIONS requests. Received a ${method} request.`,
  }),
  missingParameter: (name: string): EntraFailure => ({
    status: 400,
    error: 'invalid_request',
    code: 900144,
    description: `The request body must contain the following parameter: '${name}'.`,
  }),
  unsupportedGrantType: (grantType: string): EntraFailure => ({
    status: 400,
    error: 'unsupported_grant_type',
    code: 70003,
    description: `The app requested an unsupported grant type '${grantType}'.`,
  }),
  tenantNotFound: (tenant: string): EntraFailure => ({
    status: 400,
    error: 'invalid_request',
    code: 90002,
    description:
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the ` +
      'correct cloud. Check with your subscription administrator, this may happen if there are no active ' +
      'subscriptions for the tenant.',
  }),
  applicationNotFound: (clientId: string, tenant: string): EntraFailure => ({
    status: 400,
    error: 'unauthorized_client',
    code: 700016,
    description:
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if ` +
      'the application has not been installed by the administrator of the tenant or consented to by any user ' +
      'in the tenant. You may have sent your authentication request to the wrong tenant.',
  }),
  scopeWithoutDefault: (scope: string): EntraFailure => ({
    status: 400,
    error: 'invalid_scope',
    code: 1002012,
    description:
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with ` +
      '/.default suffixed to the resource identifier (application ID URI).',
  }),
  invalidScope: (scope: string): EntraFailure => ({
    status: 400,
    error: 'invalid_scope',
    code: 70011,
    description:
      "The provided request must include a 'scope' input parameter. The provided value for the input " +
      `parameter 'scope' is not valid. The scope ${scope} is not valid.`,
  }),
  invalidSecret: (clientId: string): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    description:
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, ' +
      `not the client secret ID, for a secret added to app '${clientId}'.`,
  }),
  expiredSecret: (clientId: string): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 7000222,
    description:
      `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new ` +
      'keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added ' +
      'security: https://aka.ms/certCreds.',
  }),
  missingCredential: (): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 7000218,
    description:
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  }),
  unsupportedAssertionType: (): EntraFailure => ({
    status: 400,
    error: 'invalid_request',
    code: 90014,
    description:
      "The required field 'client_assertion_type' is missing or is not " +
      "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
  }),
  malformedAssertion: (): EntraFailure => ({
    status: 400,
    error: 'invalid_request',
    code: 50027,
    description: 'JWT token is invalid or malformed.',
  }),
  unknownCertificate: (clientId: string, thumbprint: string): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 700027,
    description:
      `The certificate with identifier used to sign the client assertion is not registered on application. ` +
      `[Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the ` +
      `Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
  }),
  badSignature: (): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 700027,
    description: 'Client assertion failed signature validation.',
  }),
  expiredCertificate: (clientId: string): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 700027,
    description: `Client assertion failed signature validation. [Reason - The key used is expired., App Id '${clientId}']`,
  }),
  assertionIssuerMismatch: (): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 700021,
    description: "Client assertion application identifier doesn't match 'client_id' parameter.",
  }),
  assertionAudienceMismatch: (audience: string): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 700023,
    description: `Client assertion audience claim does not match Realm issuer. Review the documentation at https://aka.ms/certCreds . [Audience: '${audience}']`,
  }),
  assertionTimeRange: (now: Date, nbf: number | undefined, exp: number | undefined): EntraFailure => ({
    status: 401,
    error: 'invalid_client',
    code: 700024,
    description:
      `Client assertion is not within its valid time range. Current time: ${now.toISOString()}, assertion valid ` +
      `from ${nbf === undefined ? 'unknown' : new Date(nbf * 1000).toISOString()}, expiry time of assertion ` +
      `${exp === undefined ? 'unknown' : new Date(exp * 1000).toISOString()}. Review the documentation at ` +
      'https://aka.ms/certCreds .',
  }),
};
