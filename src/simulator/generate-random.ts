// The generator's seeded PRNG (sfc32) and the few draws it needs. sfc32 keeps 128 bits of state, so GUIDs drawn
// from it do not collide the way they would with a 32-bit-state generator (mulberry32) over a million draws.

const HEX_CODES = '0123456789abcdef';
/** Scratch space for building strings; the generator is synchronous, so one buffer serves every call. */
const codes: number[] = [];
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 expands one seed into four well-mixed state words.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A derived, independent generator, so that adding draws in one part does not shift another part. */
  fork(salt: number): Random {
    return new Random((this.uint32() ^ Math.imul(salt, 0x9e3779b1)) >>> 0);
  }

  uint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Skewed pick: low indexes come up far more often (a few senders send most of the mail). */
  pickSkewed<T>(items: readonly T[]): T {
    const r = this.next();
    return items[Math.floor(r * r * items.length)] as T;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** Random GUID in the uuid v4 shape (lower-case). */
  guid(): string {
    const w0 = this.uint32();
    const w1 = this.uint32();
    const w2 = this.uint32();
    const w3 = this.uint32();
    const bytes = [
      w0 >>> 24,
      (w0 >>> 16) & 255,
      (w0 >>> 8) & 255,
      w0 & 255,
      w1 >>> 24,
      (w1 >>> 16) & 255,
      ((w1 >>> 8) & 0x0f) | 0x40, // version 4
      w1 & 255,
      ((w2 >>> 24) & 0x3f) | 0x80, // RFC 4122 variant
      (w2 >>> 16) & 255,
      (w2 >>> 8) & 255,
      w2 & 255,
      w3 >>> 24,
      (w3 >>> 16) & 255,
      (w3 >>> 8) & 255,
      w3 & 255,
    ];
    codes.length = 36;
    let at = 0;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) codes[at++] = 45; // '-'
      const byte = bytes[i]!;
      codes[at++] = HEX_CODES.charCodeAt(byte >>> 4);
      codes[at++] = HEX_CODES.charCodeAt(byte & 15);
    }
    return String.fromCharCode.apply(null, codes);
  }

  /** `length` characters drawn from `alphabet`, as one flat string. */
  chars(length: number, alphabet: string): string {
    codes.length = length;
    for (let i = 0; i < length; i++)
      codes[i] = alphabet.charCodeAt(Math.floor(this.next() * alphabet.length));
    return String.fromCharCode.apply(null, codes);
  }

  /** Base64url text of `bytes` random bytes (no padding). */
  base64url(bytes: number): string {
    return this.chars(Math.ceil((bytes * 4) / 3), B64URL);
  }

  hex(length: number, upper = false): string {
    const s = this.chars(length, '0123456789abcdef');
    return upper ? s.toUpperCase() : s;
  }
}

/**
 * A flat copy of a string. Concatenation in V8 builds ropes (a 56-character id built char by char costs ~1.4 KB);
 * strings kept by the million are flattened so that a 50,000-user tenant stays within a sane heap.
 */
export function flatten(text: string): string {
  const length = text.length;
  codes.length = length;
  for (let i = 0; i < length; i++) codes[i] = text.charCodeAt(i);
  return String.fromCharCode.apply(null, codes);
}

/** RFC 3339 UTC with whole seconds, as message trace prints it: 2026-01-15T09:46:21Z. */
export function isoSeconds(epochMs: number): string {
  return flatten(new Date(epochMs).toISOString().slice(0, 19) + 'Z');
}
