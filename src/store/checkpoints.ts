// Named JSON checkpoints per tenant. Each write bumps a version, and a writer may insist on the version it read
// (compare-and-set), so two collectors of one tenant cannot silently overwrite each other's progress.

import { type Db, invalid } from './db.ts';
import { StoreError } from './errors.ts';
import { assertFence, type LeaseFence } from './leases.ts';
import { requireTenant } from './traces.ts';

export interface CheckpointRecord<T> {
  value: T;
  /** 1 after the first write, +1 on every write. */
  version: number;
  updatedAt: string;
}

export interface SetCheckpointOptions {
  /** Refuse the write (StoreError 'conflict') unless the stored version is this one (0 = must not exist yet). */
  expectedVersion?: number;
  /**
   * Write only while this lease is held (StoreError 'fenced' otherwise), and record its epoch with the value:
   * a value written under a later epoch is never overwritten from an earlier one.
   */
  fence?: LeaseFence;
}

export function getCheckpointRecord<T>(
  db: Db,
  tenant: string,
  name: string,
): CheckpointRecord<T> | undefined {
  const row = db
    .prepare('SELECT value, version, updated_at FROM checkpoints WHERE tenant = ? AND name = ?')
    .get(tenant, name) as { value: string; version: number; updated_at: string } | undefined;
  if (!row) return undefined;
  let value: T;
  try {
    value = JSON.parse(row.value) as T;
  } catch (error) {
    throw new StoreError(
      'corrupt',
      `checkpoint ${JSON.stringify(name)} of tenant ${tenant} is not valid JSON`,
      {
        cause: error,
      },
    );
  }
  return { value, version: row.version, updatedAt: row.updated_at };
}

export function setCheckpoint(
  db: Db,
  tenant: string,
  name: string,
  value: unknown,
  updatedAt: string,
  options: SetCheckpointOptions = {},
): number {
  requireTenant(tenant);
  if (name === '') throw invalid('checkpoint name must not be empty');
  const json = JSON.stringify(value);
  if (json === undefined) throw invalid(`checkpoint ${JSON.stringify(name)}: value is not JSON-serialisable`);
  return db.transaction(() => {
    const fence = options.fence;
    const lease = fence && assertFence(db, fence);
    const current = db
      .prepare('SELECT version, epoch FROM checkpoints WHERE tenant = ? AND name = ?')
      .get(tenant, name) as { version: number; epoch: number } | undefined;
    const currentVersion = current?.version ?? 0;
    if (fence && current && current.epoch > fence.epoch) {
      throw new StoreError(
        'fenced',
        `checkpoint ${JSON.stringify(name)} of tenant ${tenant} was written under lease epoch ${current.epoch}, ` +
          `later than this writer's ${fence.epoch}: the write was refused and changed nothing.`,
      );
    }
    if (options.expectedVersion !== undefined && options.expectedVersion !== currentVersion) {
      throw new StoreError(
        'conflict',
        `checkpoint ${JSON.stringify(name)} of tenant ${tenant} is at version ${currentVersion}, not ` +
          `${options.expectedVersion}: another process advanced it. Re-read it and retry.`,
      );
    }
    const next = currentVersion + 1;
    const epoch = lease?.epoch ?? current?.epoch ?? 0;
    db.prepare(
      `INSERT INTO checkpoints (tenant, name, value, version, updated_at, epoch) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, version = excluded.version,
         updated_at = excluded.updated_at, epoch = excluded.epoch`,
    ).run(tenant, name, json, next, updatedAt, epoch);
    return next;
  });
}
