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
