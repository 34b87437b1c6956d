// What `mailtrace demo` does once it runs (demo.ts holds its help): generate a tenant, serve it from the
// simulator, then collect and investigate against it (demo/steps.ts tells the story).
import { join, resolve } from 'node:path';
import { generateTenant } from '../../simulator/generate.ts';
import { pickApp } from '../../simulator/main.ts';
import { createGraphRouter } from '../../simulator/resources/index.ts';
import { startSimulator } from '../../simulator/server.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import type { TenantConfig } from '../config.ts';
import { runDemoSteps } from '../demo/steps.ts';
import { prepareDemoDir } from '../demo/workdir.ts';
import { usageError } from '../errors.ts';
import type { CommandOutput } from '../output.ts';

function positiveInt(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw usageError(`--${name} must be an integer from 1 to ${max}`);
  return n;
}

export async function runDemo(args: ParsedArgs, context: CommandContext): Promise<CommandOutput> {
  const users = positiveInt(args.values.users, 'users', 2000, 200_000);
  const days = positiveInt(args.values.days, 'days', 3, 90);
  const seed = positiveInt(args.values.seed, 'seed', 42, 2 ** 31);
  const latency = (args.values.latency as string | undefined) ?? 'realistic';
  if (latency !== 'realistic' && latency !== 'zero')
    throw usageError('--latency must be realistic or zero');
  const given = args.values.dir as string | undefined;
  const dir = resolve(given ?? join('.tmp', 'demo'));
  prepareDemoDir(dir, given === undefined);

  const say = (line: string) => context.stderr.write(`${line}\n`);
  const started = performance.now();
  say(
    `[1/5] Generating a simulated tenant: ${users.toLocaleString('en-US')} users, ${days} days of mail, seed ${seed}`,
  );
  const tenant = generateTenant({ users, days, seed });
  say(
    `      ${tenant.traces.length.toLocaleString('en-US')} trace rows, ${tenant.copies.length.toLocaleString('en-US')} mailbox items, ` +
      `a phishing campaign to ${tenant.campaign?.recipientAddresses.length ?? 0} recipients`,
  );
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency,
    stateDir: join(dir, 'simulator'),
  });
  try {
    say(`[2/5] Simulated Entra ID + Microsoft Graph listening on ${sim.url} (${latency} latency)`);
    const { app, secret } = pickApp(tenant, sim.clock.nowMs());
    const tenantConfig: TenantConfig = {
      name: 'simulated',
      tenantId: tenant.tenantId,
      clientId: app.clientId,
      credential: { kind: 'secret', secret, source: 'simulator' },
      cloud: 'global',
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caFile: sim.caCertPath,
      domains: tenant.domains,
    };
    const output = await runDemoSteps({
      tenant: tenantConfig,
      campaignMessageId: tenant.campaign?.internetMessageId,
      dir,
      say,
      signal: context.signal,
      stats: () => ({ requests: sim.stats.totalRequests, violations: sim.stats.totalViolations() }),
    });
    say(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    return output;
  } finally {
    await sim.close();
  }
}
