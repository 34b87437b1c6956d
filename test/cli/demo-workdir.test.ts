import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_MARKER, prepareDemoDir } from '../../src/cli/demo/workdir.ts';
import { CliError, EXIT } from '../../src/cli/errors.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'mailtrace-demo-dir-'));

test('demo --dir on a non-empty directory it did not make refuses and changes nothing', () => {
  const dir = scratch();
  writeFileSync(join(dir, 'thesis.docx'), 'years of work');
  mkdirSync(join(dir, 'photos'));
  assert.throws(
    () => prepareDemoDir(dir),
    (error: unknown) => error instanceof CliError && error.exitCode === EXIT.usage && /not made by mailtrace demo/.test(error.message),
  );
  assert.deepEqual(readdirSync(dir).sort(), ['photos', 'thesis.docx']);
  assert.equal(readFileSync(join(dir, 'thesis.docx'), 'utf8'), 'years of work');
});

test('demo --dir on a file refuses', () => {
  const file = join(scratch(), 'notes.txt');
  writeFileSync(file, 'x');
  const isUsage = (error: unknown) => error instanceof CliError && error.exitCode === EXIT.usage;
  assert.throws(() => prepareDemoDir(file), isUsage);
  assert.equal(readFileSync(file, 'utf8'), 'x');
});

test('a new or empty directory becomes a marked demo directory', () => {
  const fresh = join(scratch(), 'a', 'b');
  prepareDemoDir(fresh);
  assert.deepEqual(readdirSync(fresh), [DEMO_MARKER]);
  const empty = scratch();
  prepareDemoDir(empty);
  assert.deepEqual(readdirSync(empty), [DEMO_MARKER]);
});

test('a directory an earlier demo made is emptied for the next run', () => {
  const dir = join(scratch(), 'demo');
  prepareDemoDir(dir);
  writeFileSync(join(dir, 'history.sqlite'), 'old');
  mkdirSync(join(dir, 'simulator'));
  prepareDemoDir(dir);
  assert.deepEqual(readdirSync(dir), [DEMO_MARKER]);
  assert.equal(existsSync(join(dir, 'history.sqlite')), false);
});

test('the default directory is the demo\'s by name: one from a version without the marker is emptied', () => {
  const dir = scratch();
  writeFileSync(join(dir, 'history.sqlite'), 'old');
  prepareDemoDir(dir, true);
  assert.deepEqual(readdirSync(dir), [DEMO_MARKER]);
});
