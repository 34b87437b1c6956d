// One SQLite connection with what every part of the store needs: cached prepared statements, transactions that
// nest (savepoints inside BEGIN IMMEDIATE) and conversion of every failure into a StoreError.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreError, toStoreError } from './errors.ts';

export class Db {
  readonly raw: DatabaseSync;
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;

  constructor(raw: DatabaseSync, path: string, busyTimeoutMs: number) {
    this.raw = raw;
    this.path = path;
    this.busyTimeoutMs = busyTimeoutMs;
  }

  /** Prepared once per connection: the hot paths (upsert, quota) run the same few statements many times. */
  prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.raw.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `fn` in a write transaction taken up front (BEGIN IMMEDIATE), so that it waits for other writers
   * (up to busy_timeout) at the start instead of failing halfway; nested calls become savepoints. `fn` must be
   * synchronous. Any throw rolls back everything `fn` wrote.
   */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) return this.#savepoint(fn);
    this.raw.exec('BEGIN IMMEDIATE');
    this.#depth = 1;
    try {
      const result = fn();
      this.raw.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.raw.isTransaction) this.raw.exec('ROLLBACK');
      throw error;
    } finally {
      this.#depth = 0;
    }
  }

  #savepoint<T>(fn: () => T): T {
    const name = `sp${this.#depth}`;
    this.raw.exec(`SAVEPOINT ${name}`);
    this.#depth++;
    try {
      const result = fn();
      this.raw.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      this.raw.exec(`ROLLBACK TO ${name}`);
      this.raw.exec(`RELEASE ${name}`);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  /** Runs one public store operation, turning any failure into a StoreError that names it. */
  guard<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, this.path, operation, this.busyTimeoutMs);
    }
  }

  close(): void {
    this.#statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}

export function invalid(message: string): StoreError {
  return new StoreError('invalid', message);
}
