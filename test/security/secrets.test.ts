// Every CLI command run with debug logging against the simulator, then stdout, stderr and every file written
// (reports, NDJSON, HTML, the SQLite file as text) scanned for the client secret, access tokens (JWT shapes: the
// simulator issues JWTs) and private key PEM blocks. Plus XSS: an HTML report over hostile names has no markup.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
