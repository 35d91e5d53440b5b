/**
 * Seeded pseudo-random numbers for deterministic demo data.
 *
 * mulberry32 (32-bit state, period 2^32) is plenty for a few hundred thousand draws and is
 * bit-for-bit reproducible in any JavaScript engine: it uses only 32-bit integer arithmetic.
 */

/** A uniform generator in [0, 1) seeded with `seed` (taken as an unsigned 32-bit integer). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An independent seed for a named stream (e.g. one per output file), so that adding or
 * reordering streams never changes the numbers another stream draws.
 */
export function deriveSeed(seed: number, label: string): number {
  return fmix32((seed >>> 0) ^ Math.imul(fnv1a(label), 0x9e3779b1));
}

/** FNV-1a over a string's UTF-16 code units: a stable 32-bit hash, the same in every engine. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finalizer: spreads every input bit over the output. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Rng {
  private readonly next: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next();
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Gaussian draw (Box-Muller; the second value of each pair is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    const u1 = 1 - this.next(); // (0, 1]: log stays finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  }

  /** One of `choices`, picked with probability proportional to its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    if (choices.length === 0) throw new RangeError('weighted: no choices');
    let total = 0;
    for (const [, w] of choices) total += w;
    let u = this.next() * total;
    for (const [value, w] of choices) {
      if (u < w) return value;
      u -= w;
    }
    return choices[choices.length - 1]![0]; // rounding left u a hair above 0
  }
}
