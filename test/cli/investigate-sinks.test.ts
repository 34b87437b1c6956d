// `mailtrace investigate --to-sinks` as a user runs it: the real main() against the simulator, with the config's
// sinks an NDJSON file, an Elasticsearch test server and a Sekoia sink (which takes message traces only and is
// skipped with a reason). Both stores must hold the same valid documents, one per mailbox outcome and copy.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../../src/cli/errors.ts';
import {
  INVESTIGATION_INDEX,
  investigationIndex,
  investigationSinkEvent,
  sendInvestigationEvents,
} from '../../src/cli/investigation-sinks.ts';
import { main } from '../../src/cli/main.ts';
import { investigationToEcs } from '../../src/investigate/ecs.ts';
import { checkInvestigationEcsTypes } from '../../src/investigate/ecs-fields.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import { pickApp } from '../../src/simulator/main.ts';
import type { Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { ackAll, type Sink, type SinkEvent } from '../../src/sinks/types.ts';
import { type ElasticsearchServer, startElasticsearchServer } from '../sinks/servers/elasticsearch-server.ts';

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('mailtrace investigate --to-sinks', () => {
  let dir: string;
  let sim: Simulator;
  let tenant: Tenant;
  let es: ElasticsearchServer;
  let secret: string;
  let config: string;
  const ndjsonPath = () => join(dir, 'investigations.ndjson');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrace-investigate-sinks-'));
    tenant = generateTenant({ users: 120, seed: 11, days: 1, messagesPerUserPerDay: 1 });
    sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency: 'zero' });
    es = await startElasticsearchServer();
    const picked = pickApp(tenant, sim.clock.nowMs());
    secret = picked.secret;
    const secretFile = join(dir, 'app.secret');
    writeFileSync(secretFile, secret, { mode: 0o600 });
    config = join(dir, 'mailtrace.json');
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        tenants: [
          {
            name: 'contoso',
            tenantId: tenant.tenantId,
            clientId: picked.app.clientId,
            clientSecretFile: secretFile,
            authorityHost: sim.url,
            graphEndpoint: sim.url,
            caFile: sim.caCertPath,
          },
        ],
        sinks: [
          { type: 'ndjson', path: 'investigations.ndjson' },
          { type: 'elasticsearch', url: es.url },
          { type: 'sekoia', intakeKeyEnv: 'NOT_SET_AND_NOT_NEEDED' },
        ],
      }),
    );
  });
  after(async () => {
    await sim.close();
    await es.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one valid ECS document per mailbox outcome and copy to NDJSON and Elasticsearch', async () => {
    const id = tenant.campaign!.internetMessageId;
    const reportFile = join(dir, 'report.json');
    const { code, stderr } = await run([
      'investigate',
      id,
      '--sweep',
      '--to-sinks',
      '-c',
      config,
      '-o',
      'json',
      '--out',
      reportFile,
    ]);
    assert.equal(code, EXIT.ok, stderr);
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    const expected =
      report.counts.copies +
      report.mailboxes.filter((m: { copies: unknown[] }) => m.copies.length === 0).length;

    const lines = readFileSync(ndjsonPath(), 'utf8').trimEnd().split('\n');
    const docs = lines.map((l) => JSON.parse(l));
    assert.equal(docs.length, expected);
    for (const doc of docs) assert.deepEqual(checkInvestigationEcsTypes(doc), []);
    assert.ok(docs.every((d) => d.mailtrace.investigation.run_id === report.runId));
    assert.ok(docs.every((d) => d.cloud.account.id === tenant.tenantId));
    assert.equal(
      docs.filter((d) => d.event.action === 'message-found').length,
      report.observables.length,
      'one found document per observable (copy)',
    );

    const index = es.indices.get(INVESTIGATION_INDEX);
    assert.ok(index, `documents in ${INVESTIGATION_INDEX}`);
    assert.deepEqual([...index.keys()].sort(), docs.map((d) => d.event.id).sort(), '_id is event.id');
    assert.equal(es.count(), expected, 'nothing in any other index');

    assert.match(stderr, new RegExp(`to-sinks: ndjson: ${expected} of ${expected} stored`));
    assert.match(stderr, new RegExp(`to-sinks: elasticsearch: ${expected} of ${expected} stored`));
    assert.match(
      stderr,
      /to-sinks: sekoia \(sekoia\) skipped: Sekoia\.io parses raw Graph message-trace rows/,
    );
    assert.ok(!stderr.includes(secret) && !JSON.stringify(docs).includes(secret), 'no secret leaked');
  });

  it('without any usable sink it stops before asking Graph anything', async () => {
    const onlySekoia = join(dir, 'sekoia-only.json');
    const raw = JSON.parse(readFileSync(config, 'utf8'));
    writeFileSync(onlySekoia, JSON.stringify({ ...raw, sinks: [raw.sinks[2]] }));
    const requests = sim.stats.totalRequests;
    const { code, stderr } = await run(['investigate', '<x@y.example>', '--to-sinks', '-c', onlySekoia]);
    assert.equal(code, EXIT.config);
    assert.match(stderr, /none of the configured sinks takes investigation events/);
    assert.equal(sim.stats.totalRequests, requests);
  });
});

describe('investigation sink events', () => {
  it('map the configured index to the investigation dataset', () => {
    assert.equal(investigationIndex(undefined), 'logs-microsoft.mailbox_search-default');
    assert.equal(
      investigationIndex('logs-microsoft.message_trace-prod'),
      'logs-microsoft.mailbox_search-prod',
    );
    assert.equal(investigationIndex('mailtrace'), 'mailtrace-mailbox-search');
  });

  it('a sink that reads the trace row fails those events with a clear reason instead of shipping garbage', async () => {
    const [doc] = investigationToEcs({
      runId: 'r',
      messageIds: ['<a@b.example>'],
      tenant: 't',
      startedAt: '2026-01-21T08:00:00Z',
      endedAt: '2026-01-21T08:00:01Z',
      complete: true,
      scope: 'sweep',
      trace: [],
      mailboxes: [
        { mailbox: { address: 'x@contoso.com' }, outcome: 'notFound', copies: [], reconciliation: '' },
      ],
    });
    assert.ok(doc);
    const event = investigationSinkEvent(doc, 't');
    const rowReader: Sink = {
      name: 'row-reader',
      write: async (batch: readonly SinkEvent[]) => {
        for (const e of batch) void e.row.status;
        return ackAll(batch);
      },
      flush: async () => {},
      close: async () => {},
      healthcheck: async () => ({ ok: true, detail: '' }),
    };
    const delivery = await sendInvestigationEvents([rowReader], [event]);
    assert.equal(delivery.ok, false);
    assert.equal(delivery.perSink[0]?.failed, 1);
    assert.match(delivery.perSink[0]?.problem ?? '', /carry no message-trace row \(read of 'status'\)/);
  });
});
