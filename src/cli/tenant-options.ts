// `--config FILE` and `--tenant NAME|all`, shared by every command that talks to a tenant.
import {
  configFromEnv,
  loadConfigFile,
  type MailtraceConfig,
  selectTenants,
  type TenantConfig,
} from './config.ts';
import { CliError, EXIT } from './errors.ts';

// Moved to tenant-flags.ts, so that --help shows them without the config parser; re-exported for importers.
export { TENANT_OPTION_HELP, TENANT_OPTIONS } from './tenant-flags.ts';

/** Config from --config, else $MAILTRACE_CONFIG, else MAILTRACE_* variables. */
export function resolveConfig(values: { config?: unknown }, env: NodeJS.ProcessEnv): MailtraceConfig {
  const path = typeof values.config === 'string' ? values.config : env.MAILTRACE_CONFIG;
  if (path) return loadConfigFile(path, env);
  const fromEnv = configFromEnv(env);
  if (fromEnv) return fromEnv;
  throw new CliError(
    'no tenant configured',
    EXIT.config,
    'pass --config FILE, set MAILTRACE_CONFIG, or set MAILTRACE_TENANT_ID, MAILTRACE_CLIENT_ID and a credential ' +
      '(see docs/setup.md); `mailtrace simulate --write-config FILE` makes one for the simulator',
  );
}

export function resolveTenants(
  values: { config?: unknown; tenant?: unknown },
  env: NodeJS.ProcessEnv,
): { config: MailtraceConfig; tenants: TenantConfig[] } {
  const config = resolveConfig(values, env);
  return {
    config,
    tenants: selectTenants(config, typeof values.tenant === 'string' ? values.tenant : undefined),
  };
}
