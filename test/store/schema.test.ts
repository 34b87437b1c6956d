import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/store/errors.ts';
import { MIGRATIONS, migrate } from '../../src/store/schema.ts';

function version(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

describe('migrate', () => {
  it('applies each pending step once, in order, and records the version', () => {
    const db = new DatabaseSync(':memory:');
    const steps = ['CREATE TABLE a (x)', 'ALTER TABLE a ADD COLUMN y', 'CREATE TABLE b (z)'];
    migrate(db, 'mem', steps.slice(0, 1));
    assert.equal(version(db), 1);
    migrate(db, 'mem', steps);
    assert.equal(version(db), 3);
    migrate(db, 'mem', steps); // nothing left to do
    const columns = db.prepare('PRAGMA table_info(a)').all() as unknown as { name: string }[];
    assert.deepEqual(
      columns.map((c) => c.name),
      ['x', 'y'],
    );
    db.close();
  });

  it('rolls a failing step back entirely and keeps the previous version', () => {
    const db = new DatabaseSync(':memory:');
    const steps = ['CREATE TABLE a (x)', 'CREATE TABLE b (y); CREATE TABLE a (again)'];
    assert.throws(() => migrate(db, 'mem', steps), /already exists/);
    assert.equal(version(db), 1);
    assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'b'").get()?.n, 0);
    db.close();
  });

  it('refuses a database newer than the code', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('PRAGMA user_version = 7');
    assert.throws(
      () => migrate(db, 'x.db', ['CREATE TABLE a (x)']),
      (e: unknown) =>
        e instanceof StoreError && e.code === 'too_new' && /schema version 7.*up to 1/.test(e.message),
    );
    db.close();
  });

  it('ships a schema whose steps build every table', () => {
    const db = new DatabaseSync(':memory:');
    migrate(db, 'mem');
    const tables = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as unknown as {
        name: string;
      }[]
    ).map((t) => t.name);
    assert.deepEqual(tables, [
      'checkpoints',
      'leases',
      'quota_ledger',
      'runs',
      'status_history',
      'tenant_activity',
      'trace_rows',
    ]);
    assert.equal(version(db), MIGRATIONS.length);
    db.close();
  });
});
