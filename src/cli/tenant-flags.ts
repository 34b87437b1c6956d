// The option schema and help lines of `--config FILE` and `--tenant NAME|all`. Kept apart from resolveTenants
// (tenant-options.ts) so that `--help` shows them without loading the config parser.
import type { ParseArgsOptionsConfig } from 'node:util';

export const TENANT_OPTIONS: ParseArgsOptionsConfig = {
  config: { type: 'string', short: 'c' },
  tenant: { type: 'string', short: 't' },
};

export const TENANT_OPTION_HELP = [
  '-c, --config FILE     config file (default: $MAILTRACE_CONFIG, else MAILTRACE_* variables)',
  '-t, --tenant NAME     tenant from the config file, or all (default: all)',
];
