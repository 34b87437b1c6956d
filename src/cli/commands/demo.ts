// `mailtrace demo`: the whole product on a simulated tenant in under a minute. It narrates on stderr what it
// does, collects message traces into a local SQLite file, investigates the seeded phishing campaign and prints
// the summary; stdout carries only the result, so `--output json` stays machine-readable.
import { join, resolve } from 'node:path';
import { generateTenant } from '../../simulator/generate.ts';
import { pickApp } from '../../simulator/main.ts';
import { createGraphRouter } from '../../simulator/resources/index.ts';
import { startSimulator } from '../../simulator/server.ts';
import type { Command } from '../command.ts';
import { OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import type { TenantConfig } from '../config.ts';
import { runDemoSteps } from '../demo/steps.ts';
import { prepareDemoDir } from '../demo/workdir.ts';
import { usageError } from '../errors.ts';

function positiveInt(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw usageError(`--${name} must be an integer from 1 to ${max}`);
  return n;
}

export const demoCommand: Command = {
  name: 'demo',
  summary:
    'Run collection and an investigation end to end against a simulated tenant (no Microsoft 365 needed)',
  usage:
    'mailtrace demo [--users N] [--days D] [--seed S] [--dir DIR] [--latency realistic|zero] [-o FORMAT]',
  examples: [
    'mailtrace demo',
    'mailtrace demo --users 10000 --seed 7',
    'mailtrace demo --output json > demo.json',
  ],
  options: {
    ...OUTPUT_OPTIONS,
    users: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    dir: { type: 'string' },
    latency: { type: 'string' },
  },
  optionHelp: [
    '    --users N         users in the simulated tenant (default 2000)',
    '    --days D          days of mail traffic to generate (default 3)',
    '    --seed S          generator seed (default 42)',
    '    --dir DIR         where the history, NDJSON and HTML report go (default .tmp/demo); new, empty or a demo\'s',
    '    --latency MODE    realistic (default: Graph-like response times) or zero',
    ...OUTPUT_OPTION_HELP,
  ],
  async run(args, context) {
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
  },
};
