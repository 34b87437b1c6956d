// Schema migrations, keyed by `PRAGMA user_version`: step i takes a store from version i to i + 1 in one
// transaction. Append new steps; never edit a step that has shipped.

import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from './errors.ts';

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE trace_rows (
    tenant       TEXT NOT NULL,
    trace_id     TEXT NOT NULL,
    recipient    TEXT NOT NULL,   -- lower-cased recipientAddress
    message_id   TEXT NOT NULL,
    sender       TEXT NOT NULL,
    received_at  TEXT NOT NULL,   -- RFC 3339 UTC, toISOString form, so text order is time order
    subject      TEXT NOT NULL,
    size         INTEGER NOT NULL,
    status       TEXT NOT NULL,   -- normalized (camelCase) status
    first_seen   TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    raw          TEXT NOT NULL,   -- the Graph object as received, JSON
    PRIMARY KEY (tenant, trace_id, recipient)
  );
  -- A rowid table, not WITHOUT ROWID: rows (raw JSON) are often near 1 KB, past which a WITHOUT ROWID b-tree
  -- spills each row into its own overflow page. No recipient index: it cost a third of the insert rate, and a
  -- recipient query is a scan of one tenant's rows (well under a second for a million rows).
  -- message_id alone, so that a message-id lookup across every tenant uses it too.
  CREATE INDEX trace_rows_by_message ON trace_rows (message_id);
  CREATE INDEX trace_rows_by_received ON trace_rows (tenant, received_at);

  -- Keyed by row then time, without rowid: rows are small, and the key doubles as the per-row index.
  CREATE TABLE status_history (
    tenant    TEXT NOT NULL,
    trace_id  TEXT NOT NULL,
    recipient TEXT NOT NULL,
    seen_at   TEXT NOT NULL,
    status    TEXT NOT NULL,
    PRIMARY KEY (tenant, trace_id, recipient, seen_at, status),
    FOREIGN KEY (tenant, trace_id, recipient) REFERENCES trace_rows (tenant, trace_id, recipient) ON DELETE CASCADE
  ) WITHOUT ROWID;

  CREATE TABLE tenant_activity (
    tenant    TEXT PRIMARY KEY,
    last_seen TEXT NOT NULL       -- seenAt of the latest upsert batch, changed or not
  );

  CREATE TABLE checkpoints (
    tenant     TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,     -- JSON
    version    INTEGER NOT NULL,  -- 1 on first write, +1 on every write
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
  );

  CREATE TABLE quota_ledger (
    tenant   TEXT NOT NULL,
    bucket   TEXT NOT NULL,
    taken_at INTEGER NOT NULL     -- epoch ms
  );
  CREATE INDEX quota_ledger_window ON quota_ledger (tenant, bucket, taken_at);

  CREATE TABLE runs (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    params     TEXT NOT NULL,     -- JSON
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    status     TEXT NOT NULL,
    summary    TEXT,              -- JSON
    failures   TEXT               -- JSON
  );
  CREATE INDEX runs_by_start ON runs (started_at);
  `,
  // 2: one owner per (store, scope) — see leases.ts. Checkpoints remember the lease epoch that wrote them, so a
  // writer from an older epoch is refused even if it got past the lease check (the fencing token, stored with
  // the data it guards).
  `
  CREATE TABLE leases (
    scope       TEXT PRIMARY KEY,  -- e.g. collector:<tenant id>
    holder      TEXT NOT NULL,     -- random per acquisition: host, pid and a nonce
    epoch       INTEGER NOT NULL,  -- +1 on every change of holder; never goes down, even on release
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL,  -- epoch ms, the holder's clock
    renewed_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL   -- free once now >= expires_at (release sets it to the release time)
  );
  ALTER TABLE checkpoints ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}

/** Brings the store to SCHEMA_VERSION; safe when several processes open a new store at once. */
export function migrate(db: DatabaseSync, path: string, migrations: readonly string[] = MIGRATIONS): void {
  const target = migrations.length;
  const found = userVersion(db);
  if (found > target) throw tooNew(path, found, target);
  if (found === target) return;
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Re-read under the write lock: another process may have migrated while this one waited.
      const version = userVersion(db);
      if (version > target) throw tooNew(path, version, target);
      if (version === target) {
        db.exec('COMMIT');
        return;
      }
      db.exec(migrations[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}

function tooNew(path: string, found: number, known: number): StoreError {
  return new StoreError(
    'too_new',
    `mailtrace store ${path}: written by a newer mailtrace (schema version ${found}; this version knows up to ` +
      `${known}). Upgrade mailtrace, or point --store to another file.`,
  );
}
