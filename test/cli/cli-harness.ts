// For command tests: a real simulator on 127.0.0.1 running at real speed (anchored at the real now, so that the
// CLI's system clock and the simulator agree), a config file pointing at it, and the real CLI run as a child
// process with the same Node.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllableClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import type { FaultConfig } from '../../src/simulator/http-types.ts';
import type { Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';

export const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface CliHarness {
  sim: Simulator;
  tenant: Tenant;
  dir: string;
  configPath: string;
  storePath: string;
  close(): Promise<void>;
}

export interface CliHarnessOptions {
  seed?: number;
  users?: number;
  days?: number;
  perUserPerDay?: number;
  faults?: Partial<FaultConfig>;
  /** Extra top-level config keys (collector, sinks, store). */
  config?: Record<string, unknown>;
}

export async function startCliHarness(options: CliHarnessOptions = {}): Promise<CliHarness> {
  const anchor = new Date();
  const tenant = generateTenant({
    users: options.users ?? 30,
    days: options.days ?? 2,
    seed: options.seed ?? 11,
    anchor,
    messagesPerUserPerDay: options.perUserPerDay ?? 4,
    futureHours: 1,
    campaignRecipients: 15,
  });
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency: 'zero',
    clock: new ControllableClock(anchor.getTime(), 1, Date.now),
    faults: { exempt: /oauth2/, ...options.faults },
  });
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-cli-'));
  const app = tenant.apps.find((a) => a.roles.includes('ExchangeMessageTrace.Read.All')) ?? tenant.apps[0]!;
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, app.secrets[0]!.value, { mode: 0o600 });
  const storePath = join(dir, 'store.sqlite');
  const configPath = join(dir, 'mailtrace.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 1,
      store: storePath,
      tenants: [
        {
          name: 'contoso',
          tenantId: tenant.tenantId,
          clientId: app.clientId,
          clientSecretFile: secretFile,
          authorityHost: sim.url,
          graphEndpoint: sim.url,
          caFile: sim.caCertPath,
          domains: [tenant.domains[0]],
        },
      ],
      ...options.config,
    }),
  );
  return { sim, tenant, dir, configPath, storePath, close: () => sim.close() };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node src/cli/main.ts …args`; `onStderr` sees stderr as it arrives (e.g. to stop a daemon). */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
