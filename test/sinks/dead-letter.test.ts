import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeadLetterFile } from '../../src/sinks/dead-letter.ts';
import { event } from './helpers.ts';

test('the dead-letter file keeps each refused event whole, with tenant, sink, reason, the Graph row and its ECS form', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'mailtrace-dead-letter-')), 'dead.ndjson');
  const file = new DeadLetterFile(path);
  const [one, two] = [event('one'), event('two')];
  const at = new Date('2026-03-02T12:00:00Z');
  // Two writers at once (two tenants): lines never interleave.
  await Promise.all([
    file.write([{ sink: 'sekoia', reason: 'too_large', event: one }], at),
    file.write([{ sink: 'hec', reason: 'invalid_data_format', event: two }], at),
    file.write([], at),
  ]);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2);
  assert.deepEqual(
    lines.map((l) => [l.sink, l.reason, l.key, l.at, l.tenant]),
    [
      ['sekoia', 'too_large', one.key, at.toISOString(), one.tenant],
      ['hec', 'invalid_data_format', two.key, at.toISOString(), two.tenant],
    ],
  );
  assert.deepEqual(lines[0]?.row, JSON.parse(JSON.stringify(one.row)));
  assert.deepEqual(lines[0]?.ecs, JSON.parse(JSON.stringify(one.ecs)));
  assert.equal(file.location, path);
});

test('a dead-letter file that cannot be written rejects, so the drop is not settled', async () => {
  const file = new DeadLetterFile(join(tmpdir(), 'no-such-dir-mailtrace', 'x', 'dead.ndjson'));
  await assert.rejects(file.write([{ sink: 's', reason: 'r', event: event('x') }], new Date()), /ENOENT/);
});
