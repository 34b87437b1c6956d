import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { openStore, StoreError } from '../../src/store/index.ts';
import type { TraceRow } from '../../src/trace/model.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-store-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function rows(n: number, from = 0): TraceRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      id: `trace-${i}`,
      messageId: `<msg-${i}@fabrikam.com>`,
      senderAddress: 'a@fabrikam.com',
      recipientAddress: `user${i}@contoso.com`,
      receivedDateTime: '2026-01-20T00:00:00Z',
      subject: 'x'.repeat(400),
      size: 1,
      fromIP: '',
      toIP: '',
      status: 'delivered',
    };
  });
}

function isStoreError(code: string, pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

describe('store errors', () => {
  it('reports a write lock held by another connection beyond busy_timeout as "locked"', () => {
    const path = join(dir, 'locked.db');
    const store = openStore(path, { busyTimeoutMs: 100 });
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      assert.throws(
        () => store.upsertTraceRows('t1', rows(3), '2026-01-20T01:00:00Z'),
        isStoreError('locked', /locked by another writer.*100 ms/),
      );
      assert.ok(Date.now() - started >= 90, 'waited for busy_timeout before giving up');
      assert.throws(() => store.setCheckpoint('t1', 'c', 1), isStoreError('locked'));
      assert.throws(
        () => store.quotaLedger().tryTake('t1', 'messageTrace', 'high', 0),
        isStoreError('locked'),
      );
      // Readers are not blocked by a writer in WAL mode.
      assert.equal(store.stats().rows, 0);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // Once the lock is gone the same store works again: nothing was left half-open.
    assert.equal(store.upsertTraceRows('t1', rows(3), '2026-01-20T01:00:00Z').length, 3);
    store.close();
  });

  it('waits for a lock that is released within busy_timeout', async () => {
    const path = join(dir, 'wait.db');
    const store = openStore(path, { busyTimeoutMs: 5000 });
    store.close();
    // The lock holder runs in another process, so this one can block in SQLite while it waits.
    const { spawn } = await import('node:child_process');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const {DatabaseSync}=require('node:sqlite');const d=new DatabaseSync(${JSON.stringify(path)});` +
          `d.exec('BEGIN IMMEDIATE');console.log('held');setTimeout(()=>{d.exec('COMMIT');},300);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const again = openStore(path, { busyTimeoutMs: 5000 });
    const started = Date.now();
    assert.equal(again.upsertTraceRows('t1', rows(2), '2026-01-20T01:00:00Z').length, 2);
    assert.ok(Date.now() - started >= 100, 'the write waited for the other process');
    again.close();
    await new Promise((resolve) => holder.once('exit', resolve));
  });

  it('reports a full disk (here: the size cap) as "full" and keeps the store consistent', () => {
    const store = openStore(join(dir, 'full.db'), { maxSizeBytes: 256 * 1024 });
    let stored = 0;
    let error: unknown;
    for (let batch = 0; batch < 100 && !error; batch++) {
      try {
        stored += store.upsertTraceRows('t1', rows(50, batch * 50), '2026-01-20T01:00:00Z').length;
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error, 'the cap was reached');
    isStoreError('full', /full/)(error);
    assert.ok(stored > 0);
    // The failed batch was rolled back entirely: what is stored is exactly the acknowledged batches.
    assert.equal(store.stats().rows, stored);
    store.close();
  });

  it('reports a file that is not a store as "corrupt"', () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(path, 'this is not a SQLite database '.repeat(200));
    assert.throws(() => openStore(path), isStoreError('corrupt', /not a mailtrace store/));
  });

  it('reports a missing directory as "cannot_open"', () => {
    assert.throws(() => openStore(join(dir, 'no', 'such', 'dir', 'x.db')), isStoreError('cannot_open'));
  });

  it('keeps SQLite internals out of the message and the stack out of the way', () => {
    try {
      openStore(join(dir, 'no', 'x.db'));
      assert.fail('should have thrown');
    } catch (e) {
      assert.ok(e instanceof StoreError);
      assert.match(e.message, /^mailtrace store .*x\.db: opening failed: cannot open the file/);
      assert.ok(!e.message.includes('\n'));
    }
  });
});
