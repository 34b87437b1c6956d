// `mailtrace investigate` as a user runs it: the real main() (or a child process, for Ctrl-C) against the simulator
// serving a generated tenant with its campaign. Results go through --out files, so stdout stays untouched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../src/cli/errors.ts';
import { main } from '../../src/cli/main.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import { pickApp } from '../../src/simulator/main.ts';
import type { SimUser, Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { openStore } from '../../src/store/index.ts';
import { expectedBlock } from '../investigate/fixture.ts';

const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>';
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Rig {
  sim: Simulator;
  tenant: Tenant;
  config: string;
}

async function startRig(
  dir: string,
  name: string,
  latency: 'zero' | 'realistic',
  seed: number,
): Promise<Rig> {
  const tenant = generateTenant({ users: 300, seed, days: 1, messagesPerUserPerDay: 1 });
  const sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency });
  const { app, secret } = pickApp(tenant, sim.clock.nowMs());
  const secretFile = join(dir, `${name}.secret`);
  writeFileSync(secretFile, secret, { mode: 0o600 });
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      version: 1,
      store: join(dir, `${name}.db`),
      tenants: [
        {
          name,
          tenantId: tenant.tenantId,
          clientId: app.clientId,
          clientSecretFile: secretFile,
          authorityHost: sim.url,
          graphEndpoint: sim.url,
          caFile: sim.caCertPath,
        },
      ],
    }),
  );
  return { sim, tenant, config };
}

/** Runs main() in process; captures stderr (progress, errors) while it runs. */
async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('mailtrace investigate', () => {
  let dir: string;
  let rig: Rig;
  let id: string;
  const out = (name: string) => join(dir, name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrace-investigate-'));
    rig = await startRig(dir, 'contoso', 'zero', 11);
    const campaign = rig.tenant.campaign!;
    id = campaign.internetMessageId;
    // A hostile subject: every report must show it as text, never as markup.
    for (const row of rig.tenant.traces) if (row.messageId === id) row.subject = HOSTILE;
    for (const copy of rig.tenant.copies) if (copy.internetMessageId === id) copy.subject = HOSTILE;
  });
  after(async () => {
    await rig.sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const userOf = (address: string): SimUser | undefined =>
    rig.tenant.users.find((u) => (u.mail ?? u.userPrincipalName).toLowerCase() === address.toLowerCase());

  it('JSON: every copy with folder and read state, every unsearchable mailbox with its reason', async () => {
    const file = out('sweep.json');
    const bare = id.slice(1, -1); // angle brackets are optional
    const { code } = await run([
      'investigate',
      bare,
      '--sweep',
      '-c',
      rig.config,
      '-o',
      'json',
      '--out',
      file,
    ]);
    assert.equal(code, EXIT.ok);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(data.complete, true);
    assert.deepEqual(data.messageIds, [id]);
    assert.equal(data.scope, 'trace+sweep');
    const mailUsers = rig.tenant.users.filter((u) => u.mail !== null);
    assert.equal(data.counts.inScope, mailUsers.length);
    for (const user of mailUsers) {
      const outcome = data.mailboxes.find((m: { mailbox: { id?: string } }) => m.mailbox.id === user.id);
      assert.ok(outcome, `${user.mail} missing`);
      const block = expectedBlock(user);
      if (block) {
        assert.equal(outcome.outcome, 'notSearched', user.mail!);
        assert.equal(outcome.reason, block, user.mail!);
        assert.ok(outcome.reconciliation.includes('not searched'), outcome.reconciliation);
      }
    }
    const copies = rig.tenant.copies.filter((c) => {
      const holder = rig.tenant.users.find((u) => u.id === c.mailboxUserId)!;
      return c.internetMessageId === id && expectedBlock(holder) === undefined;
    });
    assert.equal(data.observables.length, copies.length);
    for (const o of data.observables) {
      assert.equal(o.type, 'internet message id');
      assert.equal(o.source, 'mailtrace');
      assert.equal(o.value, id);
      assert.equal(o.subject, HOSTILE);
      const expected = copies.find((c) => c.graphId === o.o365_id);
      assert.ok(expected, `observable ${o.o365_id} is a real copy`);
      assert.equal(userOf(o.recipient)?.id, expected.mailboxUserId);
      assert.equal(o.is_read, expected.isRead);
    }
    const quarantined = data.mailboxes.filter(
      (m: { traceStatus?: string }) => m.traceStatus === 'quarantined',
    );
    assert.ok(quarantined.length >= 2);
    for (const m of quarantined) assert.equal(m.reconciliation, 'quarantined → not in mailbox (expected)');
  });

  it('table: summary counts and the per-mailbox lines; the run is saved in the store', async () => {
    const file = out('trace.txt');
    const { code } = await run(['investigate', id, '-c', rig.config, '--out', file]);
    assert.equal(code, EXIT.ok);
    const text = readFileSync(file, 'utf8');
    for (const label of [
      'Summary',
      'mailboxes in scope',
      'not searched: accessDenied',
      'Graph requests',
      'Mailboxes',
    ])
      assert.ok(text.includes(label), `table output lacks ${label}`);
    assert.match(text, /failed → not in mailbox \(expected\)/);
    assert.match(text, /expanded \(distribution group\)/);
    const store = openStore(join(dir, 'contoso.db'));
    try {
      const [last] = store.listRuns({ kind: 'investigate', limit: 1 });
      assert.ok(last);
      assert.equal(last.status, 'succeeded');
      assert.deepEqual((last.params as { messageIds: string[] }).messageIds, [id]);
    } finally {
      store.close();
    }
  });

  it('CSV, Markdown and HTML views are well formed; HTML escapes a hostile subject', async () => {
    const csv = out('r.csv');
    const md = out('r.md');
    const html = out('r.html');
    assert.equal((await run(['investigate', id, '-c', rig.config, '-o', 'csv', '--out', csv])).code, EXIT.ok);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'Mailbox,Trace status,Outcome,"Copies (folder, read)",Reconciliation,Request id');
    assert.ok(lines.length > 15);
    const code = (
      await run(['investigate', id, '-c', rig.config, '-o', 'md', '--out', md, '--html-report', html])
    ).code;
    assert.equal(code, EXIT.ok);
    const markdown = readFileSync(md, 'utf8').split('\n');
    for (const [i, line] of markdown.entries()) {
      if (!/^\| (---|-{3}:)/.test(line)) continue;
      const cells = (s: string) => s.split(/(?<!\\)\|/).length;
      assert.equal(cells(line), cells(markdown[i - 1]!), 'header and delimiter rows agree');
    }
    assert.ok(!markdown.join('\n').includes('<script>'));
    const page = readFileSync(html, 'utf8');
    assert.ok(!page.includes('<script') && !page.includes('<img'), 'no markup from the subject');
    assert.ok(page.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  });

  it('a malformed message id is a usage error that says what to fix', async () => {
    const { code, stderr } = await run(['investigate', '<no-at-sign>', '-c', rig.config]);
    assert.equal(code, EXIT.usage);
    assert.match(stderr, /Not an internet message id \(argument 1\).*no '@'/);
    assert.match(stderr, /fix: /);
  });

  it('an empty or blank --mailbox is a usage error, not a search of nothing', async () => {
    for (const blank of ['', '   ']) {
      const { code, stderr } = await run(['investigate', '<a@b.c>', '-c', rig.config, '--mailbox', blank]);
      assert.equal(code, EXIT.usage, stderr);
      assert.match(stderr, /--mailbox is empty/);
    }
  });

  it('--mailbox restricts the search; an unknown address is listed as not searched', async () => {
    const holder = rig.tenant.users.find(
      (u) =>
        expectedBlock(u) === undefined &&
        rig.tenant.copies.some((c) => c.internetMessageId === id && c.mailboxUserId === u.id),
    )!;
    const file = out('one.json');
    const argv = [
      'investigate',
      id,
      '-c',
      rig.config,
      '-m',
      holder.mail!,
      '-m',
      'ghost@nowhere.example',
      '-o',
      'json',
    ];
    assert.equal((await run([...argv, '--out', file])).code, EXIT.ok);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(data.counts.inScope, 2);
    assert.equal(data.counts.found, 1);
    assert.equal(
      data.mailboxes.find(
        (m: { mailbox: { address: string } }) => m.mailbox.address === 'ghost@nowhere.example',
      ).reason,
      'mailboxNotFound',
    );
  });
});

describe('mailtrace investigate, interrupted', () => {
  let dir: string;
  let rig: Rig;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrace-investigate-int-'));
    rig = await startRig(dir, 'fabrikam', 'realistic', 5);
  });
  after(async () => {
    await rig.sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C gives a partial result (exit partial, complete false) and --resume finishes it', async () => {
    const id = rig.tenant.campaign!.internetMessageId;
    const file = join(dir, 'partial.json');
    const args = [
      'investigate',
      id,
      '--scope',
      'sweep',
      '--concurrency',
      '1',
      '--progress',
      '-c',
      rig.config,
      '-o',
      'json',
    ];
    const child = spawn(process.execPath, [MAIN, ...args, '--out', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
      if (/searched \d/.test(stderr)) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, EXIT.partial, stderr);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(data.complete, false);
    const cancelled = data.mailboxes.filter((m: { reason?: string }) => m.reason === 'cancelled').length;
    assert.ok(cancelled > 0);
    assert.equal(data.counts.inScope, rig.tenant.users.filter((u) => u.mail !== null).length);

    const resumed = join(dir, 'resumed.json');
    const again = await run([
      'investigate',
      '--resume',
      data.runId,
      '-c',
      rig.config,
      '-o',
      'json',
      '--out',
      resumed,
    ]);
    assert.equal(again.code, EXIT.ok, again.stderr);
    const done = JSON.parse(readFileSync(resumed, 'utf8'));
    assert.equal(done.complete, true);
    assert.equal(done.resumedFrom, data.runId);
    assert.equal(done.counts.notSearchedByReason.cancelled, 0);
    assert.equal(done.counts.inScope, data.counts.inScope);
  });
});

describe('mailtrace investigate: input, store and trace errors', () => {
  let dir: string;
  let rig: Rig;
  let id: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrace-investigate-input-'));
    rig = await startRig(dir, 'fabrikam', 'zero', 13);
    id = rig.tenant.campaign!.internetMessageId;
  });
  after(async () => {
    await rig.sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an app without any Mail.* permission fails once with exit 4 and the fix, not 300 policy exclusions', async () => {
    const app = rig.tenant.apps.find((a) => a.clientId === JSON.parse(readFileSync(rig.config, 'utf8')).tenants[0].clientId)!;
    const granted = app.roles;
    app.roles = granted.filter((role) => !role.startsWith('Mail.'));
    try {
      const { code, stderr } = await run(['investigate', id, '--scope', 'sweep', '-c', rig.config]);
      assert.equal(code, EXIT.permission, stderr);
      assert.match(stderr, /no Mail\.\* application role/);
      assert.match(stderr, /fix: grant the application permission Mail\.ReadBasic\.All/);
      assert.doesNotMatch(stderr, /excluded by application access policy/);
    } finally {
      app.roles = granted;
    }
  });

  it('a bad id is a usage error even when no config can be found', async () => {
    const { code, stderr } = await run(['investigate', 'foo bar', '-c', join(dir, 'missing.json')]);
    assert.equal(code, EXIT.usage, stderr);
    assert.match(stderr, /internet message id/);
  });

  it('--since takes an age such as 30d, like trace and collect', async () => {
    const file = join(dir, 'age.json');
    const { code, stderr } = await run(['investigate', id, '--since', '30d', '-c', rig.config, '-o', 'json', '--out', file]);
    assert.equal(code, EXIT.ok, stderr);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(data.counts.found > 0);
  });

  it('trace refused for a range older than 90 days is a usage error (exit 2), not a permission one', async () => {
    const since = new Date(rig.sim.clock.nowMs() - 100 * 86_400_000).toISOString();
    const { code, stderr } = await run(['investigate', id, '--scope', 'trace', '--since', since, '-c', rig.config]);
    assert.equal(code, EXIT.usage, stderr);
    assert.match(stderr, /90 days/);
    assert.doesNotMatch(stderr, /grant ExchangeMessageTrace/);
  });

  it('without --store or a config "store", the run goes to ./mailtrace.sqlite like the collector', async () => {
    const config = JSON.parse(readFileSync(rig.config, 'utf8'));
    delete config.store;
    const bare = join(dir, 'no-store.json');
    writeFileSync(bare, JSON.stringify(config));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { code, stderr } = await run(['investigate', id, '-c', bare, '-o', 'json', '--out', join(dir, 'x.json')]);
      assert.equal(code, EXIT.ok, stderr);
    } finally {
      process.chdir(cwd);
    }
    const store = openStore(join(dir, 'mailtrace.sqlite'));
    try {
      assert.equal(store.listRuns({ kind: 'investigate', limit: 5 }).length, 1);
    } finally {
      store.close();
    }
  });
});
