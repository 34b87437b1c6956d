// Public surface of the store.
export type { CheckpointRecord, SetCheckpointOptions } from './checkpoints.ts';
export { StoreError, type StoreErrorCode } from './errors.ts';
export { describeHolder, type Lease, type LeaseAttempt, type LeaseClaim, type LeaseFence } from './leases.ts';
export { SqliteQuotaLedger } from './quota.ts';
export type { FinishRun, ListRuns, RunRecord, RunStatus, StartRun } from './runs.ts';
export { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';
export { DEFAULT_BUSY_TIMEOUT_MS, openStore, Store, type StoreOptions } from './store.ts';
export type { StoredTraceRow, TraceChange, TraceQuery, TraceStats } from './traces.ts';
