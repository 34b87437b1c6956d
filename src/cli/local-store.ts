// Opening the store for a command that only reads it (status, trace --local): no credentials are needed, so a
// config is read only when one is named, to name tenants or locate the store.

import { existsSync } from 'node:fs';
import type { Store } from '../store/index.ts';
import type { ParsedArgs } from './command.ts';
import { CliError, EXIT } from './errors.ts';
import { openStoreOrExplain } from './open-store.ts';
import { DEFAULT_STORE_PATH } from './store-path.ts';
import { resolveTenants } from './tenant-options.ts';

export interface LocalStore {
  /** The config's tenants, when a config was named (--config, --tenant or MAILTRACE_CONFIG). */
  selected: ReturnType<typeof resolveTenants> | undefined;
  path: string;
  store: Store;
}

/**
 * --store, else the config's store, else the default; a missing file is a config error (reading never creates
 * one). `allowMemory` lets ':memory:' through, which has no file to find.
 */
export function openLocalStore(
  values: ParsedArgs['values'],
  env: NodeJS.ProcessEnv,
  options: { allowMemory?: boolean } = {},
): LocalStore {
  const wantsConfig = values.config !== undefined || values.tenant !== undefined || env.MAILTRACE_CONFIG;
  const selected = wantsConfig ? resolveTenants(values, env) : undefined;
  const path = typeof values.store === 'string' ? values.store : (selected?.config.store ?? DEFAULT_STORE_PATH);
  if (!(options.allowMemory && path === ':memory:') && !existsSync(path))
    throw new CliError(`no store at ${path}`, EXIT.config, 'run `mailtrace collect` first, or pass --store FILE');
  return { selected, path, store: openStoreOrExplain(path) };
}
