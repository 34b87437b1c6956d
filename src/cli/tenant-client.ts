// The one place that turns a validated TenantConfig into a Graph client, so every command authenticates,
// trusts CAs and logs the same way.
import { createGraphClient, type GraphClient, type GraphClientOptions } from '../graph/client.ts';
import { registerSecret } from '../graph/redact.ts';
import type { RetryPolicy } from '../graph/retry-policy.ts';
import type { Credential } from '../graph/tokens.ts';
import type { Clock, Logger, QuotaLedger } from '../graph/types.ts';
import type { TenantConfig } from './config.ts';

export interface ClientOptions {
  logger?: Logger;
  clock?: Clock;
  quotaLedger?: QuotaLedger;
  maxConcurrency?: number;
  /** A short policy for one-shot checks (doctor) that must not wait minutes on a throttled endpoint. */
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
}

function credentialOf(tenant: TenantConfig): Credential {
  const credential = tenant.credential;
  if (credential.kind === 'secret') {
    registerSecret(credential.secret);
    return { clientSecret: credential.secret };
  }
  registerSecret(credential.privateKeyPem);
  return { certificatePem: credential.certificatePem, privateKeyPem: credential.privateKeyPem };
}

export function clientForTenant(tenant: TenantConfig, options: ClientOptions = {}): GraphClient {
  const clientOptions: GraphClientOptions = {
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    credential: credentialOf(tenant),
    cloud: tenant.cloud,
    ...(tenant.authorityHost ? { authorityHost: tenant.authorityHost } : {}),
    ...(tenant.graphEndpoint ? { graphEndpoint: tenant.graphEndpoint } : {}),
    ...(tenant.caFile ? { caFile: tenant.caFile } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.quotaLedger ? { quotaLedger: options.quotaLedger } : {}),
    ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  return createGraphClient(clientOptions);
}
