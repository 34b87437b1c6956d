// `mailtrace doctor` run for real (a child process) against the simulator, once per setup failure users hit.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckResult } from '../../src/cli/doctor/check.ts';
import type { DoctorData } from '../../src/cli/doctor/report.ts';
import { EXIT } from '../../src/cli/errors.ts';
import { type ElasticsearchServer, startElasticsearchServer } from '../sinks/servers/elasticsearch-server.ts';
import { type SekoiaServer, startSekoiaServer } from '../sinks/servers/sekoia-server.ts';
import { runCli, type SimFixture, startSimFixture } from './sim-fixture.ts';

function checkOf(data: DoctorData, id: string): CheckResult {
  const check = data.tenants[0]?.checks.find((c) => c.id === id);
  assert.ok(check, `no check ${id} in ${JSON.stringify(data)}`);
  return check;
}

async function doctorJson(
  config: string,
): Promise<{ code: number | null; data: DoctorData; stderr: string }> {
  const run = await runCli(['doctor', '--config', config, '--output', 'json']);
  // JSON mode: stdout is exactly one JSON document, whatever the outcome.
  return { code: run.code, data: JSON.parse(run.stdout) as DoctorData, stderr: run.stderr };
}

describe('mailtrace doctor against the simulator', () => {
  let fx: SimFixture;
  before(async () => {
    fx = await startSimFixture();
  });
  after(() => fx.close());

  it('passes every check of a good setup and prints a checklist', async () => {
    const run = await runCli(['doctor', '--config', fx.writeConfig()]);
    assert.equal(run.code, EXIT.ok, run.stderr);
    for (const title of [
      'token',
      'permissions for collect/trace',
      'message trace probe',
      'mailbox search probe',
    ])
      assert.match(run.stdout, new RegExp(`✔ +${title.replace(/[/$]/g, '\\$&')} `));
    assert.match(run.stdout, /100 message-trace requests per 5 minutes/);
    assert.match(run.stdout, /✔ ready/);
    assert.doesNotMatch(run.stdout, /✖/);
  });

  it('json output parses and holds the whole checklist', async () => {
    const { code, data } = await doctorJson(fx.writeConfig());
    assert.equal(code, EXIT.ok);
    assert.equal(data.ok, true);
    assert.equal(data.exitCode, 0);
    assert.deepEqual(
      data.tenants[0]?.checks.map((c) => c.id),
      [
        'config',
        'cloud',
        'token',
        'roles.collect',
        'roles.investigate',
        'messageTrace',
        'mailbox',
        'clock',
        'sinks',
      ],
    );
    assert.equal(checkOf(data, 'mailbox').status, 'pass');
    assert.equal(checkOf(data, 'clock').status, 'pass');
    assert.equal(checkOf(data, 'sinks').status, 'skip');
  });

  it('markdown output is a checklist table', async () => {
    const run = await runCli(['doctor', '--config', fx.writeConfig(), '--output', 'md']);
    assert.equal(run.code, EXIT.ok);
    assert.match(run.stdout, /^# mailtrace doctor/);
    assert.match(run.stdout, /\| ✔ \| token \|/);
  });

  it('explains a wrong secret (AADSTS7000215) without printing it', async () => {
    const wrong = 'Wr0ng8Q~notTheSecretValue.abcdefghijklmnopq';
    const config = fx.writeConfig({ secret: wrong, name: 'wrong-secret' });
    const text = await runCli(['doctor', '--config', config]);
    const { code, data, stderr } = await doctorJson(config);
    assert.equal(text.code, EXIT.auth);
    assert.equal(code, EXIT.auth);
    const token = checkOf(data, 'token');
    assert.equal(token.status, 'fail');
    assert.equal(token.facts?.aadstsCode, 7000215);
    assert.match(token.detail, /AADSTS7000215/);
    assert.match(token.fix ?? '', /secret VALUE, not the secret ID/);
    assert.equal(checkOf(data, 'messageTrace').status, 'skip');
    assert.match(text.stdout, /✖ +token +AADSTS7000215/);
    assert.match(text.stderr, /doctor found 1 blocker/);
    for (const output of [text.stdout, text.stderr, JSON.stringify(data), stderr])
      assert.ok(!output.includes(wrong), 'the secret must never be printed');
  });

  it('names the missing ExchangeMessageTrace.Read.All and how to grant it', async () => {
    const { code, data } = await doctorJson(fx.writeConfig({ app: 'mailtrace-no-trace', name: 'no-trace' }));
    assert.equal(code, EXIT.permission);
    const collect = checkOf(data, 'roles.collect');
    assert.equal(collect.status, 'fail');
    assert.deepEqual(collect.facts?.missing, ['ExchangeMessageTrace.Read.All']);
    assert.match(collect.fix ?? '', /Grant admin consent/);
    assert.equal(checkOf(data, 'roles.investigate').status, 'pass');
    assert.equal(checkOf(data, 'messageTrace').status, 'skip');
    assert.equal(checkOf(data, 'mailbox').status, 'pass');
  });

  it('reports message trace as unsupported in the usgov cloud', async () => {
    const { code, data } = await doctorJson(fx.writeConfig({ cloud: 'usgov', name: 'gov' }));
    // Only message trace is missing in that cloud: sign-in and mailbox search still work, so nothing blocks.
    assert.equal(code, EXIT.ok);
    assert.equal(checkOf(data, 'token').status, 'pass');
    assert.equal(checkOf(data, 'mailbox').status, 'pass');
    const cloud = checkOf(data, 'cloud');
    assert.equal(cloud.status, 'warn');
    assert.match(cloud.detail, /message trace API is unavailable/);
    assert.match(cloud.detail, /investigate still works by searching every mailbox/);
    const trace = checkOf(data, 'messageTrace');
    assert.equal(trace.status, 'skip');
    assert.match(trace.detail, /message trace is unsupported in the usgov cloud/);
    assert.equal(checkOf(data, 'roles.collect').status, 'skip');
  });

  it('warns about a secret file other users can read', async () => {
    const config = fx.writeConfig({ name: 'loose' });
    chmodSync(`${fx.dir}/loose.client-secret`, 0o644);
    const { code, data } = await doctorJson(config);
    assert.equal(code, EXIT.ok);
    const item = checkOf(data, 'config');
    assert.equal(item.status, 'warn');
    assert.match(item.fix ?? '', /chmod 600/);
  });

  it('reports an invalid config as a failed check with exit code config', async () => {
    const config = fx.writeConfig({ name: 'bad', extra: { cloud: 'mars' } });
    const { code, data } = await doctorJson(config);
    assert.equal(code, EXIT.config);
    const item = checkOf(data, 'config');
    assert.equal(item.status, 'fail');
    assert.match(item.detail, /tenants\[0\]\.cloud: unknown cloud 'mars'/);
    assert.match(item.fix ?? '', /global, usgov, dod, china/);
  });

  it('writes the checklist to --out', async () => {
    const out = `${fx.dir}/doctor.json`;
    const run = await runCli(['doctor', '--config', fx.writeConfig(), '--output', 'json', '--out', out]);
    assert.equal(run.code, EXIT.ok);
    assert.equal(run.stdout, '');
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as DoctorData).ok, true);
  });
});

describe('mailtrace doctor without the message-trace service principal', () => {
  let fx: SimFixture;
  before(async () => {
    fx = await startSimFixture({
      seed: 2,
      edit: (tenant) => {
        tenant.messageTraceServicePrincipal = false;
      },
    });
  });
  after(() => fx.close());

  it('recognises the 401 and prints the exact commands that fix it', async () => {
    const config = fx.writeConfig();
    const text = await runCli(['doctor', '--config', config]);
    assert.equal(text.code, EXIT.permission);
    assert.match(text.stdout, /Connect-MgGraph -Scopes 'Application\.ReadWrite\.All'/);
    assert.match(text.stdout, /New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373/);
    assert.match(text.stdout, /several hours/);
    const { data } = await doctorJson(config);
    const trace = checkOf(data, 'messageTrace');
    assert.equal(trace.status, 'fail');
    assert.equal(trace.blocker, 'permission');
    assert.deepEqual(trace.commands, [
      "Connect-MgGraph -Scopes 'Application.ReadWrite.All'",
      'New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373',
    ]);
    // The rest of the setup is fine: only message trace is blocked.
    assert.equal(checkOf(data, 'mailbox').status, 'pass');
    assert.equal(checkOf(data, 'clock').status, 'pass');
  });
});

describe('mailtrace doctor with sinks in the config', () => {
  const API_KEY = 'ZG9jdG9ya2V5OmRvY3RvcnNlY3JldA==';
  const INTAKE_KEY = 'doctor-intake-key-0a1b2c3d';
  let fx: SimFixture;
  let es: ElasticsearchServer;
  let sekoia: SekoiaServer;
  let config: string;
  before(async () => {
    fx = await startSimFixture();
    es = await startElasticsearchServer({ auth: { apiKey: API_KEY } });
    sekoia = await startSekoiaServer({ intakeKey: INTAKE_KEY });
    const path = fx.writeConfig({ file: 'with-sinks.json' });
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(fx.dir, 'es.key'), API_KEY, { mode: 0o600 });
    doc.sinks = [
      { type: 'elasticsearch', name: 'elastic', url: es.url, apiKeyFile: 'es.key' },
      { type: 'sekoia', intakeServer: sekoia.url, intakeKeyEnv: 'DOCTOR_INTAKE_KEY' },
      { type: 'ndjson', path: 'events.ndjson' },
    ];
    writeFileSync(path, JSON.stringify(doc));
    config = path;
  });
  after(async () => {
    await Promise.all([es.server.stop(), sekoia.server.stop()]);
    await fx.close();
  });

  const sinkChecks = (data: DoctorData) =>
    new Map(
      (data.tenants[0]?.checks ?? []).filter((c) => c.id === 'sinks').map((c) => [c.title, c] as const),
    );

  it('checks every configured sink with a real request and passes when they answer', async () => {
    const before = es.server.requests.length;
    const run = await runCli(['doctor', '--config', config, '--output', 'json'], {
      DOCTOR_INTAKE_KEY: INTAKE_KEY,
    });
    assert.equal(run.code, EXIT.ok, run.stderr);
    const data = JSON.parse(run.stdout) as DoctorData;
    const checks = sinkChecks(data);
    assert.deepEqual([...checks.keys()], ['sink elastic', 'sink sekoia', 'sink ndjson']);
    for (const check of checks.values()) assert.equal(check.status, 'pass', check.detail);
    assert.match(checks.get('sink elastic')?.detail ?? '', /Elasticsearch 8\.17\.0 cluster test-cluster/);
    assert.match(checks.get('sink sekoia')?.detail ?? '', /accepted an empty batch/);
    assert.equal(es.server.requests.length, before + 1, 'one GET / per sink, nothing written');
    assert.ok(!run.stdout.includes(API_KEY) && !run.stdout.includes(INTAKE_KEY));
  });

  it('a stopped Elasticsearch is a blocker naming the sink, with the fix', async () => {
    await es.server.down();
    try {
      const run = await runCli(['doctor', '--config', config], { DOCTOR_INTAKE_KEY: INTAKE_KEY });
      assert.equal(run.code, EXIT.config, run.stdout);
      assert.match(run.stdout, /✖ +sink elastic +elastic: http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
      assert.match(run.stdout, /fix: start the elasticsearch service or correct "url"/);
      assert.match(run.stdout, /✔ +sink sekoia /);
      assert.match(run.stdout, /✖ 1 blocker\(s\)/);
      assert.match(run.stderr, /doctor found 1 blocker/);
      for (const secret of [API_KEY, INTAKE_KEY])
        assert.ok(!(run.stdout + run.stderr).includes(secret), 'no sink secret in the output');
    } finally {
      await es.server.up();
    }
  });

  it('a sink whose secret is missing fails with the key to set, without stopping the other checks', async () => {
    const run = await runCli(['doctor', '--config', config, '--output', 'json']);
    assert.equal(run.code, EXIT.config);
    const checks = sinkChecks(JSON.parse(run.stdout) as DoctorData);
    assert.equal(checks.get('sink elastic')?.status, 'pass');
    const sek = checks.get('sink sekoia');
    assert.equal(sek?.status, 'fail');
    assert.match(sek?.detail ?? '', /intakeKeyEnv: environment variable DOCTOR_INTAKE_KEY is not set/);
    assert.match(sek?.fix ?? '', /set the environment variable DOCTOR_INTAKE_KEY to the secret/);
  });
});
