// Hostile inputs, seeded (a failing case replays from its seed): message ids, trace filter values and config files.
// Each gets a clear typed error or a correct result; never another exception, never a widened search.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile } from '../../src/cli/config.ts';
import { CliError, EXIT } from '../../src/cli/errors.ts';
import { MessageIdError, parseMessageId } from '../../src/investigate/message-id.ts';
import { searchMailboxes } from '../../src/investigate/search.ts';
import { searchFilter } from '../../src/trace/search.ts';
import { refOf } from '../investigate/fixture.ts';
import { pick, seeded, size, startScaledSim } from './harness.ts';

const HOSTILE = [
  "'",
  "''",
  '"',
  '%',
  '%27',
  '+',
  '#',
  '&',
  '?',
  '/',
  '\\',
  '*',
  '$',
  'é',
  '😀',
  '\u0000',
  '\n',
  '\u202e',
  ' ',
  "' or 1 eq 1",
  "')",
  ' or true',
  '<',
  '>',
  '@',
  '.',
  '..',
  '=',
  ';',
  ',',
];

function hostileString(random: () => number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(random() * 6);
  for (let i = 0; i < n; i++)
    parts.push(random() < 0.5 ? pick(random, HOSTILE) : 'ab'.repeat(1 + Math.floor(random() * 3)));
  if (random() < 0.05) parts.push('x'.repeat(1200));
  return parts.join('');
}

test('hostile message ids: a MessageIdError or a canonical id that matches only itself in the simulator', {
  timeout: 60_000,
}, async () => {
  const random = seeded(1234);
  const accepted = new Set<string>();
  let rejected = 0;
  const cases = size(400, 4000);
  for (let i = 0; i < cases; i++) {
    const local = hostileString(random);
    const input = random() < 0.5 ? `<${local}@${hostileString(random)}>` : `${local}@evil.example`;
    try {
      const id = parseMessageId(input);
      assert.ok(id.startsWith('<') && id.endsWith('>') && id.length <= 998, id);
      accepted.add(id);
    } catch (error) {
      assert.ok(error instanceof MessageIdError, `case ${i}: ${String(error)}`);
      assert.doesNotMatch(error.message, /[\u0000-\u0008\n]/, 'no raw control characters echoed');
      rejected++;
    }
  }
  // Ids built to break out of the OData literal, valid per RFC 5322 (no spaces): they must match nothing.
  for (const id of ["<a'or'1'eq'1@x>", "<x'or'true@y>", "<'%27'@x>", "<a+b%2B'@x>", '<a#b&c@x>'])
    accepted.add(parseMessageId(id));
  assert.ok(rejected > 0 && accepted.size > 10, `${accepted.size} accepted, ${rejected} rejected`);

  const h = await startScaledSim({ users: 60, seed: 41, faults: { exempt: /oauth2/ } });
  try {
    const campaign = h.tenant.campaign!.internetMessageId;
    const holders = h.tenant.users.filter((u) => h.tenant.copies.some((c) => c.mailboxUserId === u.id));
    const ids = [...accepted].slice(0, size(40, 400));
    const result = await searchMailboxes(h.client.send, holders.slice(0, 8).map(refOf), ids, {
      limiter: h.client.mailboxLimiter,
      clock: h.clock,
    });
    const found = result.mailboxes.flatMap((m) => m.copies).filter((c) => c.internetMessageId !== campaign);
    assert.deepEqual(found, [], 'no hostile id matched a message');
    assert.ok(result.mailboxes.every((m) => m.outcome === 'notFound' || m.outcome === 'notSearched'));
    console.log(
      `# message ids: ${cases} fuzzed, ${rejected} rejected, ${ids.length} accepted ids searched in 8 mailboxes: 0 matches`,
    );
  } finally {
    await h.close();
  }
});

test('hostile sender and subject values stay inside their OData string literal', () => {
  const random = seeded(99);
  const window = { start: Date.parse('2026-01-15T00:00:00Z'), end: Date.parse('2026-01-15T01:00:00Z') };
  for (let i = 0; i < size(300, 3000); i++) {
    const sender = hostileString(random);
    const subject = hostileString(random);
    const filter = searchFilter(window, { senderAddress: sender, subjectContains: subject });
    // Remove the two literals as OData reads them (quotes doubled inside): what is left is the fixed skeleton.
    const skeleton = filter.replace(/'(?:[^']|'')*'/g, 'L');
    assert.match(skeleton, /^.* and senderAddress eq L and contains\(subject, L\)$/, `case ${i}: ${filter}`);
    assert.doesNotMatch(
      skeleton.split(' and senderAddress')[0]!,
      /L.*L.*L/,
      'the window clause is untouched',
    );
  }
});

test('mutated config files: a ConfigError or a valid config, never another exception', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-fuzz-config-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'not-a-real-secret-0123456789', { mode: 0o600 });
  const valid = {
    version: 1,
    store: join(dir, 'store.sqlite'),
    tenants: [
      {
        name: 'contoso',
        tenantId: '11111111-2222-3333-4444-555555555555',
        clientId: '66666666-7777-8888-9999-000000000000',
        clientSecretFile: secretFile,
        cloud: 'global',
        domains: ['contoso.com'],
      },
    ],
    collector: { delay: '5m' },
    sinks: [{ type: 'ndjson', path: join(dir, 'out.ndjson') }],
  };
  const weird: unknown[] = [
    null,
    0,
    -1,
    1e308,
    '',
    'x',
    "' or 1 eq 1",
    [],
    {},
    true,
    ['a'],
    { a: 1 },
    '../../etc/passwd',
  ];
  const random = seeded(7);
  let errors = 0;
  let ok = 0;
  for (let i = 0; i < size(300, 3000); i++) {
    const config = structuredClone(valid) as Record<string, unknown>;
    const targets: Record<string, unknown>[] = [config, (config.tenants as Record<string, unknown>[])[0]!];
    for (let m = 0; m < 1 + Math.floor(random() * 3); m++) {
      const target = pick(random, targets);
      const keys = Object.keys(target);
      const action = random();
      if (action < 0.3 && keys.length > 0) delete target[pick(random, keys)];
      else if (action < 0.8 && keys.length > 0) target[pick(random, keys)] = pick(random, weird);
      else target[`unknown${Math.floor(random() * 5)}`] = pick(random, weird);
    }
    const path = join(dir, `c${i}.json`);
    writeFileSync(path, random() < 0.05 ? JSON.stringify(config).slice(0, 40) : JSON.stringify(config));
    try {
      loadConfigFile(path, {});
      ok++;
    } catch (error) {
      assert.ok(
        error instanceof CliError && error.exitCode === EXIT.config,
        `case ${i} threw ${String(error)} for ${JSON.stringify(config)}`,
      );
      assert.ok(error.fix && error.fix.length > 0, 'the error says what to fix');
      errors++;
    }
  }
  assert.ok(errors > 100, `${errors} refused, ${ok} accepted`);
});
