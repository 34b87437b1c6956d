// The demo's story after the simulator is up: sign in, collect, investigate. Each step uses the same code the
// real commands use; only the tenant is simulated.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { investigationOutput } from '../../cli/reports/investigation.ts';
import type { GraphClient } from '../../graph/client.ts';
import { investigate } from '../../investigate/run.ts';
import { NdjsonSink } from '../../sinks/ndjson.ts';
import { openStore } from '../../store/store.ts';
import { Collector } from '../../trace/collector.ts';
import type { TenantConfig } from '../config.ts';
import { type CommandOutput, renderHtml } from '../output.ts';
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
        {
          tenantId: demo.tenant.tenantId,
          name: demo.tenant.name,
          acceptedDomains: demo.tenant.domains ?? [],
          send: client.send,
        },
      ],
      since: Date.now() - COLLECT_HOURS * 3_600_000,
      recordRuns: true,
    });
    const cycle = await collector.runOnce(demo.signal);
    const report = cycle.tenants[0];
    say(
      `      ${report?.rows.toLocaleString('en-US') ?? 0} rows read in ${report?.requests ?? 0} requests, ` +
        `${(report?.events.new ?? 0).toLocaleString('en-US')} new events → ${ndjsonPath} (ECS NDJSON)`,
    );
    if (!cycle.ok) say(`      collection incomplete: ${report?.error ?? 'see the store runs table'}`);

    return await investigateStep(demo, client);
  } finally {
    await client.close();
    store.close();
  }
}

async function investigateStep(demo: DemoContext, client: GraphClient): Promise<CommandOutput> {
  const { say } = demo;
  if (!demo.campaignMessageId)
    throw new Error('the simulated tenant has no phishing campaign to investigate');
  say(`[5/5] Investigating the reported phish ${demo.campaignMessageId}`);
  say(
    '      message trace first (who received it, with what status), then every recipient mailbox through $batch',
  );
  const before = demo.stats();
  const report = await investigate({
    client,
    tenant: demo.tenant.name,
    messageIds: [demo.campaignMessageId],
    signal: demo.signal,
  });
  const after = demo.stats();
  const c = report.counts;
  say(
    `      ${c.inScope} mailboxes in scope: ${c.found} found, ${c.notFound} not found, ${c.notSearched} not searched ` +
      `(each with its reason), in ${(report.durationMs / 1000).toFixed(1)} s and ${after.requests - before.requests} ` +
      `Graph requests; Graph limits broken: ${after.violations}`,
  );
  const output = investigationOutput([{ tenant: demo.tenant.name, report }]);
  const htmlPath = join(demo.dir, 'investigation.html');
  writeFileSync(htmlPath, renderHtml(output));
  say(`      HTML report: ${htmlPath}`);
  return output;
}
