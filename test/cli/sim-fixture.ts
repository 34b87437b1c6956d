// A generated tenant served by the real simulator, plus mailtrace config files pointing at it: what CLI tests need
// to run real commands (`node src/cli/main.ts <command> --config FILE`) end to end. Secrets go into 0600 files
// next to the config, as `mailtrace simulate --write-config` does.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTenant } from '../../src/simulator/generate.ts';
import type { SimApp, Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';

export interface SimFixtureOptions {
  /** Default 60 (small and fast). */
  users?: number;
  /** Default 1. */
  seed?: number;
  /** Edits the generated tenant before the simulator serves it. */
  edit?: (tenant: Tenant) => void;
}

export interface TenantConfigOptions {
  /** The app registration to use, by display name (default 'mailtrace', which has every role). */
  app?: string;
  /** Overrides the app's valid secret (e.g. a wrong one). */
  secret?: string;
  /** Default 'global'. */
  cloud?: string;
  /** Default 'simulated'. */
  name?: string;
  /** File name inside the fixture directory (default '<name>.json'). */
  file?: string;
  /** Extra keys merged into the tenant entry. */
  extra?: Record<string, unknown>;
}

export interface SimFixture {
  sim: Simulator;
  tenant: Tenant;
  /** A fresh directory under os.tmpdir(), removed by close(). */
  dir: string;
  app(displayName: string): SimApp;
  /** Writes a config file for the tenant and returns its path. */
  writeConfig(options?: TenantConfigOptions): string;
  close(): Promise<void>;
}

export async function startSimFixture(options: SimFixtureOptions = {}): Promise<SimFixture> {
  const tenant = generateTenant({ users: options.users ?? 60, seed: options.seed ?? 1, days: 1 });
  options.edit?.(tenant);
  const sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency: 'zero' });
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-cli-'));
  const app = (displayName: string) => {
    const found = tenant.apps.find((a) => a.displayName === displayName);
    if (!found) throw new Error(`the generated tenant has no app '${displayName}'`);
    return found;
  };
  const writeConfig = (config: TenantConfigOptions = {}) => {
    const name = config.name ?? 'simulated';
    const chosen = app(config.app ?? 'mailtrace');
    const nowMs = sim.clock.nowMs();
    const valid = chosen.secrets.find((s) => Date.parse(s.expiresAt) > nowMs);
    const secretFile = join(dir, `${name}.client-secret`);
    writeFileSync(secretFile, config.secret ?? valid?.value ?? '', { mode: 0o600 });
    chmodSync(secretFile, 0o600);
    const path = join(dir, config.file ?? `${name}.json`);
    const entry = {
      name,
      tenantId: tenant.tenantId,
      clientId: chosen.clientId,
      clientSecretFile: secretFile,
      cloud: config.cloud ?? 'global',
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caFile: sim.caCertPath,
      ...config.extra,
    };
    writeFileSync(path, `${JSON.stringify({ version: 1, tenants: [entry] }, null, 2)}\n`);
    return path;
  };
  return {
    sim,
    tenant,
    dir,
    app,
    writeConfig,
    close: async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/**
 * Runs the real CLI as a child process (the simulator keeps serving in this process). The environment is the
 * parent's minus MAILTRACE_* and proxy variables, plus `env`, so a developer's own settings cannot leak in.
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^MAILTRACE_|_PROXY$/i.test(k)),
  ) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...base, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
