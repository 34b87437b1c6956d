// Mailbox permits for $batch units. An item holds its mailbox's permit while its batch is in flight, so batches
// and direct requests together never run more than the limiter allows against one mailbox.
import type { EntryUnit } from './batch-units.ts';
import type { Limiter } from './limiter.ts';

/**
 * Items of one $batch that a mailbox runs at once: Graph sends at most 4 of a batch's items per mailbox, so a
 * dependency unit with more items for one mailbox never needs more than 4 permits (and could never get them).
 */
const BATCH_MAILBOX_PARALLELISM = 4;

/** Mailbox keys a unit needs, with how many permits each, in a fixed (sorted) order. */
export function permitsNeeded(unit: EntryUnit): [string, number][] {
  const needed = new Map<string, number>();
  for (const entry of unit.entries) {
    if (entry.mailbox === undefined) continue;
    needed.set(entry.mailbox, Math.min(BATCH_MAILBOX_PARALLELISM, (needed.get(entry.mailbox) ?? 0) + 1));
  }
  return [...needed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * All of a unit's permits if they are free right now, else none (nothing is held on failure). A limiter without
 * tryAcquire cannot be asked without waiting: units that need permits then go through takePermits.
 */
export function tryTakePermits(limiter: Limiter, unit: EntryUnit): (() => void)[] | undefined {
  const needed = permitsNeeded(unit);
  if (needed.length === 0) return [];
  if (!limiter.tryAcquire) return undefined;
  const taken: (() => void)[] = [];
  for (const [key, count] of needed) {
    for (let i = 0; i < count; i++) {
      const release = limiter.tryAcquire(key);
      if (!release) {
        for (const r of taken) r();
        return undefined;
      }
      taken.push(release);
    }
  }
  return taken;
}

/**
 * Waits in line for all of a unit's permits. Keys are taken in sorted order, so two runs sharing a limiter cannot
 * each hold what the other waits for. On abort, what was taken is given back.
 */
export async function takePermits(
  limiter: Limiter,
  unit: EntryUnit,
  signal: AbortSignal,
): Promise<(() => void)[]> {
  const taken: (() => void)[] = [];
  try {
    for (const [key, count] of permitsNeeded(unit)) {
      for (let i = 0; i < count; i++) taken.push(await limiter.acquire(key, signal));
    }
    return taken;
  } catch (error) {
    for (const release of taken) release();
    throw error;
  }
}
