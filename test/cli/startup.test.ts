// Issue #12: `mailtrace --help`, `--version` and `<command> --help` must start about as fast as Node itself, so
// they must not load what only running a command needs. Checked on what each process loads (startup-hooks.ts
// records it), never on a duration: bench/startup.ts measures the time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/commands/index.ts';
import { EXIT } from '../../src/cli/errors.ts';
import { openStore } from '../../src/store/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const LAUNCHER = join(ROOT, 'bin/mailtrace.js');
const HOOKS = join(ROOT, 'test/cli/startup-hooks.ts');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What only running a command needs: none of it may load for a help or the version. */
const HEAVY: { what: string; matches: (module: string) => boolean }[] = [
  { what: '@azure/msal-node', matches: (m) => m.startsWith('node_modules/@azure/msal-node/') },
  { what: 'undici', matches: (m) => m.startsWith('node_modules/undici/') },
  { what: 'node:sqlite', matches: (m) => m === 'node:sqlite' },
  { what: 'the store', matches: (m) => m.startsWith('src/store/') },
  // usage.ts is the simulator's flags as text, a module without imports: `simulate`'s help lists them.
  { what: 'the simulator', matches: (m) => m.startsWith('src/simulator/') && m !== 'src/simulator/usage.ts' },
  { what: "a command's implementation", matches: (m) => /^src\/cli\/commands\/[^/]+-run\.ts$/.test(m) },
];

function heavyIn(modules: readonly string[]): string[] {
  return modules.filter((m) => HEAVY.some((h) => h.matches(m)));
}

function loads(modules: readonly string[], what: string): boolean {
  const heavy = HEAVY.find((h) => h.what === what);
  assert.ok(heavy, `no such heavy module: ${what}`);
  return modules.some((m) => heavy.matches(m));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every module the process loaded: repository-relative paths, or node:… for built-ins. */
  modules: string[];
}

let runs = 0;

/** Runs `node --import startup-hooks.ts <entry> ...args` with a clean environment (no MAILTRACE_CONFIG). */
function run(args: string[], options: { entry?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const modulesFile = join(dir, `modules-${++runs}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', HOOKS, options.entry ?? MAIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', STARTUP_MODULES_FILE: modulesFile, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const urls = readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean);
      const modules = urls.map((url) => (url.startsWith('file:') ? fileURLToPath(url).slice(ROOT.length) : url));
      resolve({ code, stdout, stderr, modules });
    });
  });
}

/** A 127.0.0.1 port nothing listens on: a request to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('what the CLI loads to start', () => {
  test('--help lists the commands without loading what they run', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.match(r.stdout, /^Usage: mailtrace <command> \[options\]$/m);
    for (const command of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${command.name} `, 'm'));
    assert.deepEqual(heavyIn(r.modules), []);
  });

  test('--version loads nothing heavy', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.equal(r.stdout, `${VERSION}\n`);
    assert.deepEqual(heavyIn(r.modules), []);
  });

  for (const command of COMMANDS) {
    test(`${command.name} --help loads nothing heavy`, async () => {
      const r = await run([command.name, '--help']);
      assert.equal(r.code, EXIT.ok, r.stderr);
      assert.ok(r.stdout.includes(`Usage: ${command.usage}`), r.stdout);
      assert.deepEqual(heavyIn(r.modules), []);
    });
  }

  test('the mailtrace launcher prints the version without loading anything heavy', async () => {
    // The launcher turns Node's compile cache on: keep it in this test's directory, not the shared one.
    const r = await run(['--version'], { entry: LAUNCHER, env: { NODE_COMPILE_CACHE: join(dir, 'cache') } });
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.equal(r.stdout, `${VERSION}\n`);
    assert.deepEqual(heavyIn(r.modules), []);
  });
});

describe('what a command loads when it runs', () => {
  test('status reads the store without loading msal or undici (no token, no request)', async () => {
    const storePath = join(dir, 'status.sqlite');
    openStore(storePath).close();
    const r = await run(['status', '--store', storePath]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.match(r.stdout, /Collection status/);
    // The recorder sees modules imported on demand: without this the assertions above would prove nothing.
    assert.ok(loads(r.modules, 'node:sqlite') && loads(r.modules, 'the store'), 'the store was loaded');
    assert.ok(loads(r.modules, "a command's implementation"), 'status-run.ts was loaded');
    assert.equal(loads(r.modules, '@azure/msal-node'), false);
    assert.equal(loads(r.modules, 'undici'), false);
  });

  test('trace --local searches the store without loading msal or undici', async () => {
    const r = await run(['trace', '--local', '--store', ':memory:']);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.match(r.stdout, /0 row\(s\)/);
    assert.ok(loads(r.modules, 'node:sqlite'));
    assert.equal(loads(r.modules, '@azure/msal-node'), false);
    assert.equal(loads(r.modules, 'undici'), false);
  });

  test('a live trace loads msal and undici once it needs a token', async () => {
    const origin = `https://127.0.0.1:${await closedPort()}`;
    const r = await run(['trace', '--since', '1h', '--store', join(dir, 'none.sqlite')], {
      env: {
        MAILTRACE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
        MAILTRACE_CLIENT_ID: '00000000-0000-4000-8000-000000000002',
        MAILTRACE_CLIENT_SECRET: 'not-a-secret',
        MAILTRACE_AUTHORITY_HOST: origin,
        MAILTRACE_GRAPH_ENDPOINT: origin,
      },
    });
    assert.equal(r.code, EXIT.auth, r.stderr);
    assert.match(r.stderr, /token endpoint could not be reached/);
    assert.ok(loads(r.modules, '@azure/msal-node'), 'msal was loaded');
    assert.ok(loads(r.modules, 'undici'), 'undici was loaded');
  });
});
