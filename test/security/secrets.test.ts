// Every CLI command run with debug logging against the simulator, then stdout, stderr and every file written
// (reports, NDJSON, HTML, the SQLite file as text) scanned for the client secret, access tokens (JWT shapes: the
// simulator issues JWTs) and private key PEM blocks. Plus XSS: an HTML report over hostile names has no markup.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, startSimFixture } from '../cli/sim-fixture.ts';

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('no command leaks the client secret, an access token or a private key, even at debug level', {
  timeout: 120_000,
}, async () => {
  const fx = await startSimFixture({
    users: 40,
    seed: 3,
    edit: (tenant) => {
      for (const user of tenant.users.slice(0, 40)) user.displayName = `${HOSTILE} ${user.displayName}`;
    },
  });
  try {
    const config = fx.writeConfig();
    const secret = fx
      .app('mailtrace')
      .secrets.find((s) => Date.parse(s.expiresAt) > fx.sim.clock.nowMs())!.value;
    const wrong = fx.writeConfig({ name: 'wrong', secret: 'Wr0ng~NotTheSecret.0123456789abcdefghij' });
    const store = join(fx.dir, 'store.sqlite');
    const html = join(fx.dir, 'report.html');
    const id = fx.tenant.campaign!.internetMessageId;
    const env = { MAILTRACE_DEBUG: '1' };
    const runs = [
      ['investigate', id, '--config', config, '--sweep', '-o', 'html', '--out', html],
      ['investigate', id, '--config', config, '-o', 'json'],
      ['trace', '--message-id', id, '--config', config, '--since', '1d', '-o', 'csv'],
      [
        'collect',
        '--once',
        '--since',
        '2h',
        '--config',
        config,
        '--store',
        store,
        '--ndjson',
        join(fx.dir, 'e.ndjson'),
      ],
      ['status', '--config', config, '--store', store],
      ['doctor', '--config', config],
      ['doctor', '--config', wrong],
      ['investigate', id, '--config', wrong],
    ];
    const texts: string[] = [];
    const codes: string[] = [];
    for (const args of runs) {
      const r = await runCli(args, env);
      codes.push(`${args[0]}:${r.code}`);
      assert.notEqual(r.code, 1, `${args.join(' ')} crashed: ${r.stderr.slice(-500)}`);
      texts.push(r.stdout, r.stderr);
    }
    assert.ok(
      texts.join('').includes('"level":"debug"') || texts.join('').includes('debug'),
      'debug logging was on',
    );
    for (const file of filesUnder(fx.dir)) {
      if (file.endsWith('.client-secret')) continue;
      texts.push(readFileSync(file).toString('latin1'));
    }
    for (const [i, text] of texts.entries()) {
      assert.equal(text.includes(secret), false, `the client secret leaked (text ${i})`);
      assert.equal(JWT.test(text), false, `an access token leaked (text ${i})`);
      assert.equal(PEM.test(text), false, `a private key leaked (text ${i})`);
    }
    const report = readFileSync(html, 'utf8');
    assert.match(report, /<html/i, 'an HTML report was written');
    assert.doesNotMatch(report, /<script>alert|<img src=x/i, 'no executable markup from the data');
    console.log(`# secrets scan: ${texts.length} outputs and files clean; exit codes ${codes.join(' ')}`);
  } finally {
    await fx.close();
  }
});

// A secret pasted into a key that should name an environment variable: every message about the key used to print
// it. Client secrets contain '~' and '.', HEC tokens are UUIDs, Elastic keys are long base64.
const PASTED = {
  clientSecretEnv: 'Abc8Q~pasted.client-secret_0123456789',
  tokenEnv: '3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f',
  apiKeyEnv: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeUFrR3F6UFpndw',
};

test('a secret pasted into a …Env key is never printed by config errors, doctor or sinks check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-pasted-'));
  writeFileSync(join(dir, 'secret.txt'), 'Abc8Q~file-secret\n');
  chmodSync(join(dir, 'secret.txt'), 0o600);
  const tenant = {
    name: 'contoso',
    tenantId: '11111111-2222-4333-8444-555555555555',
    clientId: '66666666-7777-4888-9999-000000000000',
  };
  const write = (name: string, doc: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(doc));
    return path;
  };
  const pastedTenant = write('tenant.json', {
    version: 1,
    tenants: [{ ...tenant, clientSecretEnv: PASTED.clientSecretEnv }],
  });
  const pastedSinks = write('sinks.json', {
    version: 1,
    tenants: [{ ...tenant, clientSecretFile: 'secret.txt' }],
    sinks: [
      { type: 'splunk-hec', url: 'https://127.0.0.1:9/services/collector', tokenEnv: PASTED.tokenEnv },
      { type: 'elasticsearch', url: 'https://127.0.0.1:9', apiKeyEnv: PASTED.apiKeyEnv },
    ],
  });
  const runs = [
    await runCli(['trace', '--config', pastedTenant, '--message-id', '<a@b.c>']),
    await runCli(['doctor', '--config', pastedTenant]),
    await runCli(['sinks', 'check', '--config', pastedSinks]),
    await runCli(['sinks', 'check', '--config', pastedSinks, '--output', 'json']),
  ];
  for (const run of runs) {
    const text = run.stdout + run.stderr;
    for (const value of Object.values(PASTED)) assert.ok(!text.includes(value), `printed: ${text}`);
    assert.notEqual(run.code, 0, text);
  }
  assert.match(runs[0]!.stderr, /clientSecretEnv must name an environment variable; the value given looks like a secret itself and is not shown/);
  assert.match(runs[2]!.stdout + runs[2]!.stderr, /tokenEnv must name an environment variable/);
  assert.match(runs[2]!.stdout + runs[2]!.stderr, /apiKeyEnv must name an environment variable/);
});
