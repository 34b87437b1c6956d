import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { parseSimulatorArgs } from '../../src/simulator/main-args.ts';

const MAIN = fileURLToPath(new URL('../../src/simulator/main.ts', import.meta.url));

describe('simulator command line', () => {
  it('parses options with defaults and refuses bad values with a message', () => {
    const parsed = parseSimulatorArgs([
      '--users',
      '50',
      '--seed',
      '9',
      '--latency',
      'zero',
      '--faults',
      '0.1',
    ]);
    assert.ok(parsed.ok);
    assert.equal(parsed.options.users, 50);
    assert.equal(parsed.options.days, 7);
    assert.equal(parsed.options.port, 0);
    assert.equal(parsed.options.faults.seed, 9);
    assert.ok(Math.abs((parsed.options.faults.throttle429 ?? 0) - 0.04) < 1e-9);
    for (const bad of [
      ['--users', '10'],
      ['--latency', 'slow'],
      ['--faults', '2'],
      ['--bogus'],
      ['--port', '-1'],
    ]) {
      const result = parseSimulatorArgs(bad);
      assert.equal(result.ok, false, bad.join(' '));
    }
  });

  it('prints one JSON line first, serves tokens, writes a config with a 0600 secret file, stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrace-sim-main-'));
    const configPath = join(dir, 'mailtrace.json');
    const child = spawn(
      process.execPath,
      [
        MAIN,
        '--users',
        '30',
        '--seed',
        '4',
        '--days',
        '1',
        '--latency',
        'zero',
        '--write-config',
        configPath,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const info = JSON.parse(firstLine) as Record<string, string | number | null>;
      assert.deepEqual(Object.keys(info).sort(), [
        'authority',
        'caCertPath',
        'campaignMessageId',
        'clientId',
        'clientSecret',
        'graph',
        'tenantId',
        'users',
      ]);
      assert.equal(info.users, 30);
      const agent = new Agent({ connect: { ca: readFileSync(String(info.caCertPath)) } });
      const res = await fetch(`${info.authority}/${info.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        dispatcher: agent,
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: String(info.clientId),
          client_secret: String(info.clientSecret),
          scope: `${info.graph}/.default`,
        }),
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      await agent.close();

      const config = JSON.parse(readFileSync(configPath, 'utf8'));
      const entry = config.tenants[0];
      assert.equal(config.version, 1);
      assert.equal(entry.graphEndpoint, info.graph);
      assert.equal(readFileSync(entry.clientSecretFile, 'utf8'), info.clientSecret);
      assert.equal(statSync(entry.clientSecretFile).mode & 0o777, 0o600);
      assert.ok(
        !readFileSync(configPath, 'utf8').includes(String(info.clientSecret)),
        'no secret in the config',
      );
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with a clear message on bad arguments', async () => {
    const child = spawn(process.execPath, [MAIN, '--days', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--days must be an integer from 1 to 90/);
  });
});
