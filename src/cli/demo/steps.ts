// The demo's story after the simulator is up: sign in, collect, investigate. Each step uses the same code the
// real commands use; only the tenant is simulated.
import { join } from 'node:path';
import { NdjsonSink } from '../../sinks/ndjson.ts';
import { openStore } from '../../store/store.ts';
import { Collector } from '../../trace/collector.ts';
import type { TenantConfig } from '../config.ts';
import type { CommandOutput } from '../output.ts';
import { clientForTenant } from '../tenant-client.ts';

export interface DemoContext {
  tenant: TenantConfig;
  campaignMessageId: string | undefined;
  dir: string;
  say: (line: string) => void;
  signal: AbortSignal;
  stats: () => { requests: number; violations: number };
}

const COLLECT_HOURS = 24;

export async function runDemoSteps(demo: DemoContext): Promise<CommandOutput> {
  const { say } = demo;
  const storePath = join(demo.dir, 'mailtrace.sqlite');
  const store = openStore(storePath);
  const client = clientForTenant(demo.tenant, { quotaLedger: store.quotaLedger() });
  try {
    say(`[3/5] Signing in with the app's client secret (msal-node, OAuth client credentials)`);
    const roles = await client.grantedRoles();
    say(`      granted application permissions: ${roles.join(', ')}`);

    say(`[4/5] Collecting the last ${COLLECT_HOURS} hours of message traces into ${storePath}`);
    const ndjsonPath = join(demo.dir, 'message-traces.ndjson');
    const collector = new Collector({
      store,
      sinks: [new NdjsonSink({ path: ndjsonPath })],
      tenants: [
        { tenantId: demo.tenant.tenantId, name: demo.tenant.name, acceptedDomains: demo.tenant.domains ?? [], send: client.send },
      ],
      since: Date.now() - COLLECT_HOURS * 3_600_000,
      recordRuns: true,
    });
    const cycle = await collector.runOnce(demo.signal);
    const report = cycle.tenants[0];
    say(
      `      ${report?.rows.toLocaleString('en-US') ?? 0} rows read in ${report?.requests ?? 0} requests, ` +
        `${report?.events.new ?? 0} new events → ${ndjsonPath} (ECS NDJSON)`,
    );
    if (!cycle.ok) say(`      collection incomplete: ${report?.error ?? 'see the store runs table'}`);

    const investigation = await investigateStep(demo, client.send);
    return investigation;
  } finally {
    await client.close();
    store.close();
  }
}
