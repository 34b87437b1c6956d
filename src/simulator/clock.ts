// Simulated time that tests can freeze, step or speed up. Real time keeps flowing underneath; the clock maps
// it linearly (sim = base + (real - realBase) * scale) and re-bases on every change so that time never jumps
// backwards when the scale changes.
import type { SimClock } from './http-types.ts';

export class ControllableClock implements SimClock {
  #simBaseMs: number;
  #realBaseMs: number;
  #scale: number;
  readonly #realNow: () => number;

  /** `scale` is simulated milliseconds per real millisecond (1 = real speed, 0 = frozen). */
  constructor(start: Date | string | number, scale = 1, realNow: () => number = () => performance.now()) {
    this.#realNow = realNow;
    this.#simBaseMs = new Date(start).getTime();
    if (Number.isNaN(this.#simBaseMs)) throw new RangeError(`invalid clock start: ${String(start)}`);
    this.#realBaseMs = realNow();
    this.#scale = checkScale(scale);
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Math.floor(this.#simBaseMs + (this.#realNow() - this.#realBaseMs) * this.#scale);
  }

  get scale(): number {
    return this.#scale;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance() takes a non-negative number of ms');
    this.#rebase();
    this.#simBaseMs += ms;
  }

  set(date: Date | string | number): void {
    const ms = new Date(date).getTime();
    if (Number.isNaN(ms)) throw new RangeError(`invalid clock time: ${String(date)}`);
    this.#simBaseMs = ms;
    this.#realBaseMs = this.#realNow();
  }

  setScale(simMsPerRealMs: number): void {
    this.#rebase();
    this.#scale = checkScale(simMsPerRealMs);
  }

  /** Real milliseconds until the sim clock reaches `simMs` (Infinity when frozen and not yet there). */
  realMsUntil(simMs: number): number {
    const remaining = simMs - this.nowMs();
    if (remaining <= 0) return 0;
    return this.#scale === 0 ? Number.POSITIVE_INFINITY : remaining / this.#scale;
  }

  #rebase(): void {
    const real = this.#realNow();
    this.#simBaseMs += (real - this.#realBaseMs) * this.#scale;
    this.#realBaseMs = real;
  }
}

function checkScale(scale: number): number {
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError('clock scale must be a finite number >= 0');
  return scale;
}

/** Waits the way Clock.sleep does in mailtrace (src/graph/types.ts), without importing it here. */
export interface SleepingClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A clock in another process that follows a simulator's: sim = simBase + offset + (Date.now() − realBase) × scale.
 * Sampling both clocks in one millisecond (`mapping`) makes the two agree. 0 = frozen: a sleep then waits its
 * length in real time (only for a run that never needs to wait). Sleeps are capped at a minute of real time.
 */
export interface FollowedClock {
  simBaseMs: number;
  realBaseMs: number;
  scale: number;
  /** Ahead of the simulator by this much (e.g. a host whose clock has passed another's lease expiry). */
  offsetMs?: number;
}

export function followClock(mapping: FollowedClock): SleepingClock {
  const offset = mapping.offsetMs ?? 0;
  return {
    now: () => Math.floor(mapping.simBaseMs + offset + (Date.now() - mapping.realBaseMs) * mapping.scale),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        signal?.throwIfAborted();
        const real = mapping.scale === 0 ? ms : ms / mapping.scale;
        const timer = setTimeout(resolve, Math.max(0, Math.min(real, 60_000)));
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(signal.reason as Error);
          },
          { once: true },
        );
      }),
  };
}

/** Samples `clock` and Date.now() in the same millisecond, for a child process to follow (followClock). */
export function clockMapping(clock: ControllableClock): Omit<FollowedClock, 'scale'> {
  let realBaseMs: number;
  let simBaseMs: number;
  do {
    realBaseMs = Date.now();
    simBaseMs = clock.nowMs();
  } while (Date.now() !== realBaseMs);
  return { simBaseMs, realBaseMs };
}

/**
 * Stepped time: the simulator's clock is frozen, and every wait (Retry-After, quota, the cycle interval) moves it
 * forward instead of sleeping, so hours of collection take milliseconds.
 */
export function steppedClock(sim: ControllableClock): SleepingClock {
  return {
    now: () => sim.nowMs(),
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sim.advance(Math.max(0, ms));
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    },
  };
}
