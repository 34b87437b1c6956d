// Virtual time for tests that wait: `sleep` resolves only when the test moves the clock past its deadline, so
// what a test observes never depends on how fast the machine is. `sleeping()` resolves once something is asleep:
// a test moves time when the code under test has said it waits, not after guessing how long that takes.
import type { Clock } from '../../src/graph/types.ts';

interface Sleeper {
  wakeAt: number;
  wake: () => void;
}

export class VirtualClock implements Clock {
  #nowMs: number;
  readonly #sleepers: Sleeper[] = [];
  readonly #watchers: (() => void)[] = [];

  constructor(startMs = Date.parse('2026-01-15T10:00:00Z')) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        wakeAt: this.#nowMs + Math.max(0, ms),
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#remove(sleeper);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
      for (const watcher of this.#watchers.splice(0)) watcher();
    });
  }

  /** How many sleeps are pending. */
  get pending(): number {
    return this.#sleepers.length;
  }

  /** Resolves once at least `count` sleeps are pending. */
  async sleeping(count = 1): Promise<void> {
    while (this.#sleepers.length < count) await new Promise<void>((resolve) => this.#watchers.push(resolve));
  }

  /** Moves time forward by `ms`, waking every sleep due by then, in deadline order. */
  advance(ms: number): void {
    this.#nowMs += ms;
    const due = this.#sleepers.filter((s) => s.wakeAt <= this.#nowMs).sort((a, b) => a.wakeAt - b.wakeAt);
    for (const sleeper of due) {
      this.#remove(sleeper);
      sleeper.wake();
    }
  }

  #remove(sleeper: Sleeper): void {
    const i = this.#sleepers.indexOf(sleeper);
    if (i >= 0) this.#sleepers.splice(i, 1);
  }
}
