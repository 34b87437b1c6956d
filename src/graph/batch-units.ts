// Units of $batch work and their dependencies. Graph resolves `dependsOn` only inside one batch, so an item and
// the pending items it depends on travel together as one unit. When a dependency is already in flight (or its
// unit is full) the dependent waits for its outcome instead: sent alone once it succeeded, failed with 424 if not.
import type { BatchItem } from './batch.ts';
import { itemHeaders, MAX_BATCH_SIZE, toBatchUrl, type WireRequest } from './batch-wire.ts';
import { GraphError, type RedactedRequest, redactedRequest } from './errors.ts';
import { mailboxKeyOf } from './limiter.ts';

export class BatchEntry {
  readonly seq: number;
  /** The id on the wire: unique for the whole run, so retried and fresh items never collide in one batch. */
  readonly wireId: string;
  /** The id reported in results: the item's own id, else its 1-based position in the input. */
  readonly resultId: string;
  readonly item: BatchItem;
  readonly url: string;
  readonly mailbox: string | undefined;
  /** Times sent. */
  attempts = 0;
  /** Dependencies travelling in the same unit (sent as dependsOn). */
  unitDeps: BatchEntry[] = [];
  /** Dependencies elsewhere not settled yet. */
  waitingOn = 0;
  /** Entries waiting on this one's outcome. */
  dependents: BatchEntry[] = [];
  unit: EntryUnit | undefined;
  done = false;

  constructor(seq: number, item: BatchItem) {
    this.seq = seq;
    this.wireId = String(seq);
    this.resultId = item.id ?? String(seq);
    this.item = item;
    this.url = toBatchUrl(item.url);
    this.mailbox = item.mailbox?.toLowerCase() ?? mailboxKeyOf(this.url);
  }

  /** Computed only for errors: redaction is not free and a sweep has many items. */
  get redacted(): RedactedRequest {
    return redactedRequest(this.item.method, this.url);
  }

  toWire(): WireRequest {
    const { method, body } = this.item;
    const headers = itemHeaders(this.item.headers, body !== undefined);
    return {
      id: this.wireId,
      method,
      url: this.url,
      ...(headers ? { headers } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(this.unitDeps.length > 0 ? { dependsOn: this.unitDeps.map((dep) => dep.wireId) } : {}),
    };
  }
}

/** Entries sent together; each entry's unit dependencies come before it. */
export class EntryUnit {
  readonly entries: BatchEntry[];

  constructor(entries: BatchEntry[]) {
    this.entries = entries;
    for (const entry of entries) entry.unit = this;
  }

  wireRequests(): WireRequest[] {
    return this.entries.map((entry) => entry.toWire());
  }

  /** The entries to send again, regrouped: dependencies that succeeded are dropped from dependsOn. */
  split(retrying: ReadonlySet<BatchEntry>): EntryUnit[] {
    const kept = this.entries.filter((entry) => retrying.has(entry));
    const root = new Map<BatchEntry, BatchEntry>(kept.map((entry) => [entry, entry]));
    const find = (entry: BatchEntry): BatchEntry => {
      let current = entry;
      while (root.get(current) !== current) current = root.get(current) ?? current;
      return current;
    };
    for (const entry of kept) {
      entry.unitDeps = entry.unitDeps.filter((dep) => retrying.has(dep));
      for (const dep of entry.unitDeps) root.set(find(entry), find(dep));
    }
    const groups = new Map<BatchEntry, BatchEntry[]>();
    for (const entry of kept) {
      const key = find(entry);
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    return [...groups.values()].map((entries) => new EntryUnit(entries));
  }
}

/**
 * Takes items from the input and keeps the pool of work not yet sent: ready units (in input order) and entries
 * waiting for a dependency's outcome. Only items with an explicit id can be depended on; their outcome is kept
 * as a flag after they settle, so a long sweep without ids keeps nothing.
 */
export class DependencyTracker {
  readonly #onFailed: (entry: BatchEntry, error: GraphError) => void;
  readonly #ready = new Set<EntryUnit>();
  readonly #byId = new Map<string, BatchEntry | 'ok' | 'failed'>();
  #seq = 0;
  #pooled = 0;
  #waiting = 0;

  constructor(onFailed: (entry: BatchEntry, error: GraphError) => void) {
    this.#onFailed = onFailed;
  }

  /** Entries taken from the input and not yet handed out (ready or waiting). */
  get pooled(): number {
    return this.#pooled;
  }

  get readyCount(): number {
    return this.#pooled - this.#waiting;
  }

  readyUnits(): IterableIterator<EntryUnit> {
    return this.#ready.values();
  }

  /** Hands a ready unit out for sending. */
  take(unit: EntryUnit): void {
    if (this.#ready.delete(unit)) this.#pooled -= unit.entries.length;
  }

  add(item: BatchItem): void {
    const entry = new BatchEntry(++this.#seq, item);
    if (item.id !== undefined) this.#byId.set(item.id, entry);
    const unsettled: BatchEntry[] = [];
    for (const depId of item.dependsOn ?? []) {
      const dep = this.#byId.get(depId);
      if (dep === 'ok') continue;
      if (dep === undefined || dep === 'failed') {
        this.#onFailed(
          entry,
          dep === undefined ? unknownDependency(entry, depId) : failedDependency(entry, depId),
        );
        return;
      }
      if (!unsettled.includes(dep)) unsettled.push(dep);
    }
    this.#pooled++;
    if (unsettled.length === 0) {
      this.#ready.add(new EntryUnit([entry]));
      return;
    }
    const depUnits = [...new Set(unsettled.map((dep) => dep.unit))];
    const mergeable = depUnits.every((unit) => unit !== undefined && this.#ready.has(unit));
    const mergedSize = depUnits.reduce((sum, unit) => sum + (unit?.entries.length ?? 0), 1);
    const [target, ...others] = depUnits;
    if (mergeable && target && mergedSize <= MAX_BATCH_SIZE) {
      for (const other of others) {
        if (!other) continue;
        this.#ready.delete(other);
        for (const moved of other.entries) {
          moved.unit = target;
          target.entries.push(moved);
        }
      }
      entry.unitDeps = unsettled;
      entry.unit = target;
      target.entries.push(entry);
      return;
    }
    entry.waitingOn = unsettled.length;
    for (const dep of unsettled) dep.dependents.push(entry);
    this.#waiting++;
  }

  /** Records an outcome and releases (or fails) what waited on it. */
  settled(entry: BatchEntry, ok: boolean): void {
    entry.done = true;
    const id = entry.item.id;
    if (id !== undefined && this.#byId.get(id) === entry) this.#byId.set(id, ok ? 'ok' : 'failed');
    const dependents = entry.dependents;
    entry.dependents = [];
    for (const dependent of dependents) {
      if (dependent.done || dependent.waitingOn <= 0) continue;
      if (!ok) {
        dependent.waitingOn = 0;
        this.#waiting--;
        this.#pooled--;
        this.#onFailed(dependent, failedDependency(dependent, entry.resultId));
      } else if (--dependent.waitingOn === 0) {
        this.#waiting--;
        this.#ready.add(new EntryUnit([dependent]));
      }
    }
  }
}

function failedDependency(entry: BatchEntry, depId: string): GraphError {
  return new GraphError({
    status: 424,
    code: 'FailedDependency',
    message: `Not sent: item ${depId}, which it depends on, failed.`,
    request: entry.redacted,
  });
}

function unknownDependency(entry: BatchEntry, depId: string): GraphError {
  return new GraphError({
    status: 400,
    code: 'BadRequest',
    message: `dependsOn names "${depId}", which is not the explicit id of an earlier item.`,
    request: entry.redacted,
  });
}
