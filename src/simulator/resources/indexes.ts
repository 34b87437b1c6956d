// Lookup structures built once per router, so that a 50,000-user tenant with 700,000 trace rows answers a
// mailbox search or a trace page in milliseconds. Users and copies are indexed by reference: tests may flip a
// user's flags after the router exists and the handlers must see it.
import type { SimFolder, SimMailboxCopy, SimTraceRow, SimUser, Tenant, TraceStatus } from '../model.ts';

export interface IndexedTraceRow {
  row: SimTraceRow;
  /** Trace id (copied from the row so that sorting touches no nested object). */
  id: string;
  /** receivedDateTime in epoch ms. */
  t: number;
  visibleMs: number;
  recipientLower: string;
  steps: { status: TraceStatus; fromMs: number }[];
}

export interface TenantIndex {
  tenant: Tenant;
  usersById: Map<string, SimUser>;
  usersByUpn: Map<string, SimUser>;
  copiesByMailbox: Map<string, SimMailboxCopy[]>;
  /** Key `${mailboxUserId}\n${internetMessageId}`. */
  copiesByMailboxAndMessageId: Map<string, SimMailboxCopy[]>;
  customFoldersByMailbox: Map<string, SimFolder[]>;
  /** All rows, newest first, then recipient address, then trace id (the service's page order). */
  traces: IndexedTraceRow[];
  /** Subsets of `traces` in the same order, for selective `eq` filters. */
  tracesByRecipient: MultiMap<IndexedTraceRow>;
  tracesByMessageId: MultiMap<IndexedTraceRow>;
  tracesById: MultiMap<IndexedTraceRow>;
}

/** Page order of message traces: receivedDateTime desc, recipientAddress asc, id asc. */
export function compareTraceOrder(
  a: { t: number; recipientLower: string; id: string },
  b: { t: number; recipientLower: string; id: string },
): number {
  if (a.t !== b.t) return b.t - a.t;
  if (a.recipientLower !== b.recipientLower) return a.recipientLower < b.recipientLower ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A string-keyed multimap that stores a lone value without wrapping it in an array: most trace ids and message
 * ids have one or two rows, and 700,000 tiny arrays cost seconds of garbage collection.
 */
export class MultiMap<V extends object> {
  readonly #map = new Map<string, V | V[]>();

  add(key: string, value: V): void {
    const existing = this.#map.get(key);
    if (existing === undefined) this.#map.set(key, value);
    else if (Array.isArray(existing)) existing.push(value);
    else this.#map.set(key, [existing, value]);
  }

  /** Values in insertion order; undefined when the key is absent. */
  get(key: string): readonly V[] | undefined {
    const found = this.#map.get(key);
    return found === undefined ? undefined : Array.isArray(found) ? found : [found];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function buildIndex(tenant: Tenant): TenantIndex {
  const usersById = new Map<string, SimUser>();
  const usersByUpn = new Map<string, SimUser>();
  for (const user of tenant.users) {
    usersById.set(user.id.toLowerCase(), user);
    usersByUpn.set(user.userPrincipalName.toLowerCase(), user);
  }

  const copiesByMailbox = new Map<string, SimMailboxCopy[]>();
  const copiesByMailboxAndMessageId = new Map<string, SimMailboxCopy[]>();
  for (const copy of tenant.copies) {
    push(copiesByMailbox, copy.mailboxUserId, copy);
    push(copiesByMailboxAndMessageId, `${copy.mailboxUserId}\n${copy.internetMessageId}`, copy);
  }

  const customFoldersByMailbox = new Map<string, SimFolder[]>();
  for (const folder of tenant.customFolders) push(customFoldersByMailbox, folder.mailboxUserId, folder);

  const traces: IndexedTraceRow[] = tenant.traces.map((row) => ({
    row,
    id: row.id,
    t: Date.parse(row.receivedDateTime),
    visibleMs: Date.parse(row.visibleFrom),
    recipientLower: row.recipientAddress.toLowerCase(),
    steps: row.statusTimeline
      .map((step) => ({ status: step.status, fromMs: Date.parse(step.from) }))
      .sort((a, b) => a.fromMs - b.fromMs),
  }));
  traces.sort(compareTraceOrder);
  const tracesByRecipient = new MultiMap<IndexedTraceRow>();
  const tracesByMessageId = new MultiMap<IndexedTraceRow>();
  const tracesById = new MultiMap<IndexedTraceRow>();
  for (const entry of traces) {
    tracesByRecipient.add(entry.recipientLower, entry);
    tracesByMessageId.add(entry.row.messageId, entry);
    tracesById.add(entry.id.toLowerCase(), entry);
  }

  return {
    tenant,
    usersById,
    usersByUpn,
    copiesByMailbox,
    copiesByMailboxAndMessageId,
    customFoldersByMailbox,
    traces,
    tracesByRecipient,
    tracesByMessageId,
    tracesById,
  };
}

/** Graph resolves a user segment by object id or by user principal name (case-insensitive), nothing else. */
export function resolveUser(index: TenantIndex, idOrUpn: string): SimUser | undefined {
  const key = idOrUpn.toLowerCase();
  return index.usersById.get(key) ?? index.usersByUpn.get(key);
}

/** The status a row reports at `nowMs`: the last timeline step already in force (the first one before that). */
export function statusAt(entry: IndexedTraceRow, nowMs: number): TraceStatus {
  let status = entry.steps[0]?.status ?? 'gettingStatus';
  for (const step of entry.steps) {
    if (step.fromMs <= nowMs) status = step.status;
    else break;
  }
  return status;
}
