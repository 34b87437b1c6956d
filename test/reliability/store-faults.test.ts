// The store locked by another writer, and the disk full, while the real `mailtrace collect --once` runs: a clear
// error and a non-zero exit code, an intact store (PRAGMA integrity_check), and a later run that completes.
// Disk full is a file-size limit on the CLI process (ulimit -f: writes past it fail with EFBIG, as on a full disk).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { MAIN, runCli, startCliHarness } from '../cli/cli-harness.ts';

function integrity(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return String((db.prepare('PRAGMA integrity_check').get() as Record<string, unknown>).integrity_check);
  } finally {
    db.close();
  }
}

function rowCount(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM trace_rows').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

/** The CLI with its file size capped at `blocks` × 512 bytes (POSIX ulimit -f units in sh). */
function runCliCapped(args: string[], blocks: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, MAIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('/bin/sh', ['-c', `ulimit -f ${blocks} && exec ${quoted}`], {
      // No coverage file from a process that cannot write past its cap (a torn one fails the whole report).
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', NODE_V8_COVERAGE: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('collect while another process holds the write lock: a clear error, an intact store, then a clean run', {
  timeout: 60_000,
}, async () => {
  const h = await startCliHarness({ seed: 71, users: 30, perUserPerDay: 4 });
  try {
    const args = ['collect', '--once', '--since', '1d', '--config', h.configPath];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    const rowsBefore = rowCount(h.storePath);
    assert.ok(rowsBefore > 0);

    const other = new DatabaseSync(h.storePath);
    other.exec('BEGIN IMMEDIATE');
    let locked: Awaited<ReturnType<typeof runCli>>;
    try {
      locked = await runCli(args);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.notEqual(locked.code, 0, 'a locked store is a failure');
    assert.notEqual(locked.code, 1, `not an internal error: ${locked.stderr}`);
    assert.match(locked.stderr, /locked/i, 'the error says the store is locked');
    assert.doesNotMatch(locked.stderr, /internal error|\n\s+at /, 'no stack trace');
    assert.equal(integrity(h.storePath), 'ok');
    assert.equal(rowCount(h.storePath), rowsBefore, 'nothing half-written');

    const later = await runCli(args);
    assert.equal(later.code, 0, later.stderr);
    assert.equal(integrity(h.storePath), 'ok');
    console.log(`# store locked: exit ${locked.code}: ${locked.stderr.trim().split('\n').at(-2) ?? ''}`);
  } finally {
    await h.close();
  }
});

test('collect onto a full disk: a clear error, an intact store, then a clean run once there is room', {
  timeout: 60_000,
}, async () => {
  const h = await startCliHarness({ seed: 72, users: 40, perUserPerDay: 30 });
  try {
    const args = ['collect', '--once', '--since', '2d', '--config', h.configPath];
    // Room for the schema and a little more: the backfill cannot fit.
    const full = await runCliCapped(args, 256);
    assert.notEqual(full.code, 0, `a full disk is a failure: ${full.stderr}`);
    assert.notEqual(full.code, 1, `not an internal error: ${full.stderr}`);
    assert.match(full.stderr, /full|disk|space|write/i, 'the error says the disk is full');
    assert.doesNotMatch(full.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(statSync(h.storePath).size <= 256 * 512);
    assert.equal(integrity(h.storePath), 'ok');

    const later = await runCli(args);
    assert.equal(later.code, 0, later.stderr);
    assert.equal(integrity(h.storePath), 'ok');
    assert.ok(rowCount(h.storePath) > 100, 'the later run collected everything');
    console.log(`# disk full: exit ${full.code}: ${full.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  } finally {
    await h.close();
  }
});
