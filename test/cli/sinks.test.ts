// `mailtrace sinks check|install-template` run for real (a child process) against the sinks' protocol servers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../../src/cli/errors.ts';
import { DEFAULT_INDEX } from '../../src/sinks/index-template.ts';
import { type ElasticsearchServer, startElasticsearchServer } from '../sinks/servers/elasticsearch-server.ts';
import { type SekoiaServer, startSekoiaServer } from '../sinks/servers/sekoia-server.ts';
import { type SplunkServer, startSplunkServer } from '../sinks/servers/splunk-server.ts';
import { runCli } from './sim-fixture.ts';

const INTAKE_KEY = 'sekoia-intake-key-9f8e7d6c5b4a';
const HEC_TOKEN = '5d1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8';
const ES_API_KEY = 'ZXNrZXlpZDplc2tleXNlY3JldHZhbHVl';
const SECRETS = [INTAKE_KEY, HEC_TOKEN, ES_API_KEY];

interface SinksData {
  ok: boolean;
  sinks: { sink: string; type: string; result: string; detail: string; fix: string }[];
}

function assertNoSecret(text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), 'a sink secret was printed');
}

describe('mailtrace sinks', () => {
  let dir: string;
  let es: ElasticsearchServer;
  let sekoia: SekoiaServer;
  let splunk: SplunkServer;
  let config: string;
  const env = { MT_HEC_TOKEN: HEC_TOKEN };

  /** A config file with one tenant (never contacted by these commands) and the given sinks. */
  const writeConfig = (file: string, sinks: unknown[]): string => {
    const path = join(dir, file);
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        tenants: [
          {
            name: 'contoso',
            tenantId: '11111111-2222-3333-4444-555555555555',
            clientId: '66666666-7777-8888-9999-000000000000',
            clientSecretFile: join(dir, 'client-secret'),
          },
        ],
        sinks,
      }),
    );
    return path;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrace-sinks-cli-'));
    writeFileSync(join(dir, 'client-secret'), 'not-used', { mode: 0o600 });
    writeFileSync(join(dir, 'intake-key'), INTAKE_KEY, { mode: 0o600 });
    writeFileSync(join(dir, 'es-api-key'), ES_API_KEY, { mode: 0o600 });
    es = await startElasticsearchServer({ auth: { apiKey: ES_API_KEY } });
    sekoia = await startSekoiaServer({ intakeKey: INTAKE_KEY });
    splunk = await startSplunkServer({ token: HEC_TOKEN, useAck: true });
    config = writeConfig('mailtrace.json', [
      { type: 'sekoia', intakeServer: sekoia.url, intakeKeyFile: 'intake-key' },
      { type: 'splunk-hec', name: 'splunk', url: splunk.url, tokenEnv: 'MT_HEC_TOKEN', useAck: true },
      { type: 'elasticsearch', name: 'elastic', url: es.url, apiKeyFile: 'es-api-key' },
      { type: 'ndjson', path: join(dir, 'out', 'events.ndjson') },
    ]);
  });

  after(async () => {
    await Promise.all([es.server.stop(), sekoia.server.stop(), splunk.server.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('check: every sink answers one real request', async () => {
    const esRequests = es.server.requests.length;
    const run = await runCli(['sinks', 'check', '--config', config, '--output', 'json'], env);
    assertNoSecret(run.stdout + run.stderr);
    // The NDJSON directory does not exist yet: not writable, and doctor must not create it.
    const data = JSON.parse(run.stdout) as SinksData;
    assert.equal(run.code, EXIT.config, run.stderr);
    const by = new Map(data.sinks.map((s) => [s.sink, s]));
    assert.deepEqual([...by.keys()], ['sekoia', 'splunk', 'elastic', 'ndjson']);
    assert.equal(by.get('sekoia')?.result, 'ok');
    assert.equal(by.get('splunk')?.result, 'ok');
    assert.match(by.get('splunk')?.detail ?? '', /token accepted/);
    assert.equal(by.get('elastic')?.result, 'ok');
    assert.match(by.get('elastic')?.detail ?? '', /Elasticsearch 8\.17\.0 cluster test-cluster/);
    assert.equal(by.get('ndjson')?.result, 'failed');
    assert.match(by.get('ndjson')?.detail ?? '', /ENOENT/);
    assert.equal(es.server.requests.length, esRequests + 1, 'one GET / and nothing else');
    assert.equal(es.server.requests.at(-1)?.path, '/');
    assert.match(run.stderr, /1 sink\(s\) failed their check: ndjson/);
  });

  it('check --sink: only that sink; a stopped Elasticsearch fails with a fix that names it', async () => {
    const ok = await runCli(['sinks', 'check', '--config', config, '--sink', 'elastic'], env);
    assert.equal(ok.code, EXIT.ok, ok.stderr);
    assert.match(ok.stdout, /elastic +elasticsearch +ok/);
    assert.doesNotMatch(ok.stdout, /sekoia/);
    await es.server.down();
    try {
      const down = await runCli(['sinks', 'check', '--config', config, '--sink', 'elastic'], env);
      assert.equal(down.code, EXIT.config);
      assert.match(down.stdout, /elastic +elasticsearch +failed .*ECONNREFUSED/);
      assert.match(down.stdout, /start the elasticsearch service or correct "url"/);
      assert.match(down.stderr, /failed their check: elastic/);
      assertNoSecret(down.stdout + down.stderr);
    } finally {
      await es.server.up();
    }
  });

  it('check: a refused credential and a missing secret are failures with the key to fix', async () => {
    const bad = writeConfig('bad.json', [
      { type: 'splunk-hec', url: splunk.url, tokenEnv: 'MT_WRONG_TOKEN' },
      { type: 'sekoia', intakeServer: sekoia.url, intakeKeyEnv: 'MT_UNSET' },
    ]);
    const run = await runCli(['sinks', 'check', '--config', bad, '--output', 'json'], {
      MT_WRONG_TOKEN: 'ffffffff-0000-0000-0000-000000000000',
    });
    assert.equal(run.code, EXIT.config);
    const data = JSON.parse(run.stdout) as SinksData;
    const [hec, intake] = data.sinks;
    assert.equal(hec?.result, 'failed');
    assert.match(hec?.detail ?? '', /HEC code 4/);
    assert.match(hec?.fix ?? '', /tokenEnv\/tokenFile/);
    assert.equal(intake?.result, 'failed');
    assert.match(intake?.detail ?? '', /sinks\[1\]\.intakeKeyEnv: environment variable MT_UNSET is not set/);
    assert.match(intake?.fix ?? '', /set the environment variable MT_UNSET/);
    assert.ok(!run.stdout.includes('ffffffff-0000-0000-0000-000000000000'), 'the wrong token is not printed');
  });

  it('install-template: puts the ECS template for the configured data stream', async () => {
    const run = await runCli(['sinks', 'install-template', '--config', config], env);
    assert.equal(run.code, EXIT.ok, run.stderr);
    assert.match(run.stdout, /elastic +mailtrace-message-trace +elasticsearch +installed/);
    const template = es.templates.get('mailtrace-message-trace') as {
      index_patterns: string[];
      data_stream?: object;
      template: { mappings: { properties: Record<string, unknown> } };
    };
    const subjectType = (t: typeof template) =>
      (
        t.template.mappings.properties.microsoft as {
          properties: { message_trace: { properties: { subject: { type: string } } } };
        }
      ).properties.message_trace.properties.subject.type;
    assert.ok(template, 'the template was installed');
    assert.deepEqual(template.index_patterns, [DEFAULT_INDEX.replace(/-default$/, '-*')]);
    assert.deepEqual(template.data_stream, {});
    assert.equal(subjectType(template), 'match_only_text');
    assertNoSecret(run.stdout + run.stderr);

    const open = await runCli(
      ['sinks', 'install-template', '--config', config, '--flavor', 'opensearch', '--output', 'json'],
      env,
    );
    assert.equal(open.code, EXIT.ok, open.stderr);
    const opensearch = es.templates.get('mailtrace-message-trace') as typeof template;
    assert.equal(subjectType(opensearch), 'text');
    assert.deepEqual(JSON.parse(open.stdout).templates, [
      { sink: 'elastic', template: 'mailtrace-message-trace', flavor: 'opensearch', result: 'installed' },
    ]);
  });

  it('install-template: a down cluster, no elasticsearch sink, and bad usage are clear errors', async () => {
    await es.server.down();
    try {
      const down = await runCli(['sinks', 'install-template', '--config', config], env);
      assert.equal(down.code, EXIT.config);
      assert.match(down.stderr, /error: elastic: .*ECONNREFUSED/);
    } finally {
      await es.server.up();
    }
    const none = await runCli(['sinks', 'install-template', '--config', config, '--sink', 'sekoia'], env);
    assert.equal(none.code, EXIT.config);
    assert.match(none.stderr, /no elasticsearch sink selected/);
    const unknown = await runCli(['sinks', 'check', '--config', config, '--sink', 'nope'], env);
    assert.equal(unknown.code, EXIT.usage);
    assert.match(unknown.stderr, /use one of: sekoia, splunk, elastic, ndjson/);
    const verb = await runCli(['sinks', 'ping', '--config', config], env);
    assert.equal(verb.code, EXIT.usage);
    assert.match(verb.stderr, /unknown action 'ping'/);
  });

  it('--help shows both actions with examples', async () => {
    const run = await runCli(['sinks', '--help']);
    assert.equal(run.code, EXIT.ok);
    assert.match(run.stdout, /mailtrace sinks check --config mailtrace\.json/);
    assert.match(run.stdout, /mailtrace sinks install-template --config mailtrace\.json/);
  });
});
