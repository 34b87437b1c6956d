// The collector's outbox: changes the store has recorded but some sink has not acknowledged yet. It is written in
// the same SQLite transaction as the rows it comes from, so that a crash between "stored" and "delivered"
// cannot lose an event: after a restart the outbox is delivered first. It lives in a checkpoint of the store
// (one JSON value per tenant) and holds at most the changes of a page or so, since every page is delivered
// before the next one is read and a failed delivery stops the tenant's cycle.

import type { LeaseFence } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import type { TraceChange } from '../store/traces.ts';
import { graphObject, parseTraceRow, type TraceRow } from './model.ts';

export const OUTBOX_CHECKPOINT = 'collector.outbox';

export interface OutboxEntry {
  key: string;
  kind: 'new' | 'statusChanged';
  previousStatus?: string;
  row: TraceRow;
  /** Sinks that still owe this event. */
  sinks: string[];
}

export function readOutbox(store: Store, tenant: string): OutboxEntry[] {
  const value = store.getCheckpoint<{ entries?: OutboxEntry[] }>(tenant, OUTBOX_CHECKPOINT);
  if (!Array.isArray(value?.entries)) return [];
  return value.entries.map((entry) => ({ ...entry, row: workingRow(entry.row) }));
}

/** Stored entries hold Graph's object as sent (sinks forward it); the collector works on the parsed row. */
function workingRow(stored: unknown): TraceRow {
  try {
    return parseTraceRow(stored);
  } catch {
    return stored as TraceRow;
  }
}

/**
 * Replaces the tenant's outbox (call inside store.transaction to make it atomic with the rows). Under `fence`
 * only: a collector whose lease was taken over cannot overwrite what the new holder owes.
 */
export function writeOutbox(
  store: Store,
  tenant: string,
  entries: readonly OutboxEntry[],
  fence: LeaseFence,
): void {
  store.setCheckpoint(
    tenant,
    OUTBOX_CHECKPOINT,
    { entries: entries.map((entry) => ({ ...entry, row: graphObject(entry.row) })) },
    { fence },
  );
}

export function outboxEntry(change: TraceChange, key: string, sinks: readonly string[]): OutboxEntry {
  return change.kind === 'new'
    ? { key, kind: 'new', row: change.row, sinks: [...sinks] }
    : {
        key,
        kind: 'statusChanged',
        previousStatus: change.previousStatus,
        row: change.row,
        sinks: [...sinks],
      };
}

/** Adds entries, merging the owing sinks of a key that is already waiting. */
export function mergeOutbox(current: readonly OutboxEntry[], added: readonly OutboxEntry[]): OutboxEntry[] {
  if (added.length === 0) return [...current];
  const byKey = new Map(current.map((e) => [e.key, e]));
  for (const entry of added) {
    const existing = byKey.get(entry.key);
    byKey.set(
      entry.key,
      existing ? { ...existing, sinks: [...new Set([...existing.sinks, ...entry.sinks])] } : entry,
    );
  }
  return [...byKey.values()];
}
