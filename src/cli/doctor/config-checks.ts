// Checks that need no network: the tenant entry (already validated by config.ts), the secret file's permissions
// and what the chosen cloud offers.
import { type Cloud, resolveCloud } from '../../graph/clouds.ts';
import { looseSecretFileMode, type TenantConfig } from '../config.ts';
import type { CliError } from '../errors.ts';
import { type CheckResult, fail, pass, warn } from './check.ts';

const FILE_SOURCE = /^file (.+)$/;

/** The config could not be loaded at all (ConfigError, or no tenant configured). */
export function checkConfigError(error: CliError): CheckResult {
  return fail('config', 'configuration', 'config', error.message, error.fix ?? 'see docs/setup.md');
}

export function checkTenantConfig(tenant: TenantConfig): CheckResult {
  const title = 'configuration';
  const credential = tenant.credential;
  const what = credential.kind === 'secret' ? 'client secret' : 'certificate';
  const file = FILE_SOURCE.exec(credential.source)?.[1];
  const facts = { credential: credential.kind, source: credential.source };
  // Only the secret file is worth this warning: a certificate is public, its key file is checked by the owner.
  if (credential.kind === 'secret' && file !== undefined && looseSecretFileMode(file))
    return warn(
      'config',
      title,
      `the client secret file ${file} can be read by other local users`,
      `chmod 600 '${file}'`,
      { facts },
    );
  return pass(
    'config',
    title,
    `tenant ${tenant.tenantId}, app ${tenant.clientId}, ${what} from ${credential.source}`,
    {
      facts,
    },
  );
}

export function cloudOf(tenant: TenantConfig): Cloud {
  return resolveCloud(tenant.cloud, {
    authorityHost: tenant.authorityHost,
    graphEndpoint: tenant.graphEndpoint,
  });
}

export function checkCloud(cloud: Cloud): CheckResult {
  const title = 'cloud';
  const hosts = cloud.customEndpoints
    ? ` (hosts overridden: authority ${cloud.authorityHost}, Graph ${cloud.graphEndpoint})`
    : '';
  const facts = {
    cloud: cloud.name,
    messageTrace: cloud.capabilities.messageTrace,
    mailSearch: cloud.capabilities.mailSearch,
  };
  if (!cloud.capabilities.messageTrace)
    return warn(
      'cloud',
      title,
      `${cloud.description}: the message trace API is unavailable in this cloud, so collect and trace cannot ` +
        `run; investigate still works by searching every mailbox (sweep)${hosts}`,
      undefined,
      { facts },
    );
  return pass('cloud', title, `${cloud.description}: message trace and mailbox search available${hosts}`, {
    facts,
  });
}
