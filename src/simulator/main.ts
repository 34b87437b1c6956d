// `npm run simulator`: generates (or loads) a tenant, serves it over HTTPS on 127.0.0.1 and prints one JSON
// line with everything a client needs. The printed client secret is a throwaway loopback credential of the
// simulated tenant, printed on purpose.
import { chmodSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { GenerateOptionsError, generateTenant } from './generate.ts';
import { parseSimulatorArgs, SIMULATOR_USAGE, type SimulatorCliOptions } from './main-args.ts';
import type { SimApp, Tenant } from './model.ts';
import { createGraphRouter } from './resources/index.ts';
import { type Simulator, startSimulator } from './server.ts';
import { loadTenant, TenantFileError } from './tenant-file.ts';

const TRACE_ROLE = 'ExchangeMessageTrace.Read.All';

export async function runSimulator(argv: string[]): Promise<number> {
  const parsed = parseSimulatorArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`simulator: ${parsed.message}\n\n${SIMULATOR_USAGE}\n`);
    return 2;
  }
  const options = parsed.options;
  let tenant: Tenant;
  try {
    tenant = options.tenantFile
      ? loadTenant(options.tenantFile)
      : generateTenant({ users: options.users, days: options.days, seed: options.seed });
  } catch (error) {
    if (error instanceof GenerateOptionsError || error instanceof TenantFileError) {
      process.stderr.write(`simulator: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    port: options.port,
    latency: options.latency,
    faults: options.faults,
  });
  const { app, secret } = pickApp(tenant, sim.clock.nowMs());
  const line = {
    authority: sim.url,
    graph: sim.url,
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    // Simulated tenant's throwaway secret for this loopback server only.
    clientSecret: secret,
    caCertPath: sim.caCertPath,
    campaignMessageId: tenant.campaign?.internetMessageId ?? null,
    users: tenant.users.length,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  if (options.writeConfig) {
    const written = writeConfig(options.writeConfig, sim, tenant, app, secret);
    process.stderr.write(`simulator: wrote ${written}\n`);
  }
  logStart(sim, tenant, options);
  await waitForSignal();
  process.stderr.write('simulator: stopping\n');
  await sim.close();
  return 0;
}

/** The app clients should use: one allowed to read message traces with a secret valid now. */
export function pickApp(tenant: Tenant, nowMs: number): { app: SimApp; secret: string } {
  const valid = (a: SimApp) => a.secrets.find((s) => Date.parse(s.expiresAt) > nowMs);
  const app =
    tenant.apps.find((a) => a.roles.includes(TRACE_ROLE) && valid(a)) ??
    tenant.apps.find(valid) ??
    tenant.apps[0];
  if (!app) throw new Error('the tenant has no app registration');
  return { app, secret: valid(app)?.value ?? app.secrets[0]?.value ?? '' };
}

/** Writes the mailtrace config and, next to it, the secret in a file only the owner can read. */
function writeConfig(
  configPath: string,
  sim: Simulator,
  tenant: Tenant,
  app: SimApp,
  secret: string,
): string {
  const absolute = resolve(configPath);
  const secretFile = join(dirname(absolute), `${basename(absolute, extname(absolute))}.client-secret`);
  writeFileSync(secretFile, secret, { mode: 0o600 });
  chmodSync(secretFile, 0o600);
  const config = {
    version: 1,
    tenants: [
      {
        name: 'simulated',
        tenantId: tenant.tenantId,
        clientId: app.clientId,
        clientSecretFile: secretFile,
        cloud: 'global',
        authorityHost: sim.url,
        graphEndpoint: sim.url,
        caFile: sim.caCertPath,
        domains: tenant.domains,
      },
    ],
  };
  writeFileSync(absolute, `${JSON.stringify(config, null, 2)}\n`);
  return absolute;
}

function logStart(sim: Simulator, tenant: Tenant, options: SimulatorCliOptions): void {
  process.stderr.write(
    `simulator: ${tenant.displayName} (${tenant.tenantId}), ${tenant.users.length} users, ` +
      `${tenant.traces.length} trace rows; listening on ${sim.url} (latency ${options.latency}` +
      `${options.faults.throttle429 ? `, faults ${JSON.stringify(options.faults)}` : ''}); Ctrl-C to stop\n`,
  );
}

function waitForSignal(): Promise<void> {
  return new Promise((resolveSignal) => {
    process.once('SIGINT', () => resolveSignal());
    process.once('SIGTERM', () => resolveSignal());
  });
}

if (import.meta.main) {
  runSimulator(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`simulator: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
