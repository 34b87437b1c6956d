import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  parseCollectorSection,
  parseDurationMs,
  parseInstant,
  parseSinksSection,
} from '../../src/cli/collect-config.ts';
import { loadConfigFile } from '../../src/cli/config.ts';
import type { CliError } from '../../src/cli/errors.ts';
import { defaultDeadLetterPath } from '../../src/cli/store-path.ts';

test('durations and instants', () => {
  assert.equal(parseDurationMs('5m'), 300_000);
  assert.equal(parseDurationMs('48h'), 172_800_000);
  assert.equal(parseDurationMs('30d'), 2_592_000_000);
  assert.equal(parseDurationMs('1.5h'), 5_400_000);
  assert.equal(parseDurationMs('5 minutes'), undefined);
  const now = Date.parse('2026-03-02T12:00:00Z');
  assert.equal(parseInstant('2h', now, '--since'), now - 7_200_000);
  assert.equal(parseInstant('2026-03-01T00:00:00Z', now, '--since'), Date.parse('2026-03-01T00:00:00Z'));
  assert.equal(
    parseInstant('2026-03-01T00:00:00', now, '--since'),
    Date.parse('2026-03-01T00:00:00Z'),
    'no zone = UTC',
  );
  assert.throws(() => parseInstant('soon', now, '--until'), /--until: 'soon' is neither/);
});

test('an instant that names an impossible calendar date is refused, not rolled over', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  // Date.parse reads 2026-11-31 as 1 December: the search would silently start a day late.
  assert.throws(() => parseInstant('2026-11-31', now, '--since'), /--since: '2026-11-31' is not a real date \(2026-11 has 30 days\)/);
  assert.throws(() => parseInstant('2026-02-29T10:00:00Z', now, '--until'), /2026-02 has 28 days/);
  assert.throws(() => parseInstant('2026-13-01', now, '--since'), /month 13 does not exist/);
  assert.throws(() => parseInstant('2026-11-30T24:30:00Z', now, '--since'), /hour 24 does not exist/);
  assert.equal(parseInstant('2028-02-29', now, '--since'), Date.parse('2028-02-29T00:00:00Z'), 'leap day');
  assert.equal(parseInstant('2026-11-30T23:59:59Z', now, '--since'), Date.parse('2026-11-30T23:59:59Z'));
});

test('the collector section names the offending key', () => {
  assert.deepEqual(
    parseCollectorSection({ delay: '2m', trailingWindow: '24h', cycleInterval: '1m', since: '7d' }),
    {
      delayMs: 120_000,
      trailingWindowMs: 86_400_000,
      cycleIntervalMs: 60_000,
      sinceMs: 604_800_000,
    },
  );
  assert.throws(
    () => parseCollectorSection({ delay: 5 }),
    (e: CliError) => e.exitCode === 6 && /collector\.delay/.test(e.message),
  );
  assert.throws(() => parseCollectorSection({ delai: '5m' }), /collector\.delai: unknown key/);
  assert.throws(() => parseCollectorSection({ since: '100d' }), /collector\.since: is older than 90 days/);
  assert.deepEqual(parseCollectorSection({ deadLetter: 'refused.ndjson' }, 'collector', '/etc/mailtrace'), {
    deadLetterPath: '/etc/mailtrace/refused.ndjson',
  });
  assert.throws(() => parseCollectorSection({ deadLetter: '' }), /collector\.deadLetter: expected a file path/);
});

test('sinks: ndjson paths resolve against the config directory; other types wait for their factory', () => {
  const sinks = parseSinksSection(
    [
      { type: 'ndjson', path: 'out/traces.ndjson' },
      { type: 'ndjson', name: 'console', path: '-' },
      { type: 'sekoia', intakeKeyEnv: 'SEKOIA_KEY' },
    ],
    '/etc/mailtrace',
  );
  assert.deepEqual(sinks[0], { type: 'ndjson', path: '/etc/mailtrace/out/traces.ndjson' });
  assert.deepEqual(sinks[1], { type: 'ndjson', name: 'console', path: '-' });
  assert.deepEqual(sinks[2], {
    type: 'sekoia',
    options: { intakeKeyEnv: 'SEKOIA_KEY' },
    where: 'sinks[2]',
    baseDir: '/etc/mailtrace',
  });
  assert.throws(() => parseSinksSection([{ type: 'ndjson' }], '/'), /sinks\[0\]\.path: is missing/);
  assert.throws(
    () => parseSinksSection([{ type: 'ndjson', path: 'a', file: 'b' }], '/'),
    /sinks\[0\]\.file: unknown key/,
  );
  assert.throws(
    () =>
      parseSinksSection(
        [
          { type: 'ndjson', path: 'a' },
          { type: 'ndjson', path: 'b' },
        ],
        '/',
      ),
    /a second sink named 'ndjson'/,
  );
});

test('loadConfigFile carries collector and sinks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-cfg-'));
  const path = join(dir, 'c.json');
  writeFileSync(
    path,
    JSON.stringify({
      version: 1,
      tenants: [
        {
          name: 'a',
          tenantId: '11111111-2222-3333-4444-555555555555',
          clientId: '11111111-2222-3333-4444-555555555555',
          clientSecretEnv: 'X_SECRET',
        },
      ],
      collector: { delay: '1m' },
      sinks: [{ type: 'ndjson', path: 'x.ndjson' }],
    }),
  );
  const config = loadConfigFile(path, { X_SECRET: 's3cret-value' });
  assert.deepEqual(config.collector, { delayMs: 60_000 });
  assert.deepEqual(config.sinks, [{ type: 'ndjson', path: join(dir, 'x.ndjson') }]);
});

test('the dead-letter file sits beside the store by default', () => {
  assert.equal(defaultDeadLetterPath('/var/lib/mailtrace/mailtrace.sqlite'), '/var/lib/mailtrace/mailtrace.dead-letter.ndjson');
  assert.equal(defaultDeadLetterPath('store.db'), 'store.dead-letter.ndjson');
  assert.equal(defaultDeadLetterPath('store'), 'store.dead-letter.ndjson');
});
