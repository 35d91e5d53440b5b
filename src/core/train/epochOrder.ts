/**
 * The order in which an epoch visits the training rows. It is one definition for rows held in
 * memory and rows streamed from record files (streamedTraining.ts), so a seed gives the same
 * batches, and so the same model, on either path.
 *
 * Training rows, in row order, fall into `buckets` by a seeded hash of their row number. An
 * epoch draws a generator from (seed, epoch) and visits the buckets in an order it shuffles. Each
 * bucket's rows are visited in a uniformly random order drawn in two stages (Rao-Sandelius):
 * - first, each row goes to a random pile of about PILE_ROWS rows, in one sequential pass;
 * - then each pile, small enough for the cache, is visited in a Fisher-Yates order.
 * One Fisher-Yates over a whole bucket of records waits on a cache miss per row (3x an epoch's
 * time at 2M rows). The streamed path moves the records themselves into piles; the in-memory
 * path (EpochOrder) draws the same numbers over row positions.
 */
import { mulberry32 } from '../demo/random';

/** Rows per pile of an epoch's shuffle (1.4 MB for bench:scale's 22-field records). */
export const PILE_ROWS = 16_384;

/** Fisher-Yates with a seeded generator: the same order every run. */
export function shuffle(order: Int32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/** A training row's bucket: a seeded integer hash of its row number (murmur3's finalizer). */
export function bucketOf(row: number, seed: number, buckets: number): number {
  let h = (row ^ Math.imul(seed, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % buckets;
}

/** An epoch's generator, and the order it visits the buckets in (its first draws). */
export function epochBuckets(seed: number, epoch: number, buckets: number): { random: () => number; order: Int32Array } {
  const random = mulberry32((seed ^ Math.imul(epoch, 0x9e3779b1)) >>> 0);
  const order = new Int32Array(buckets);
  for (let b = 0; b < buckets; b++) order[b] = b;
  shuffle(order, random);
  return { random, order };
}

/**
 * The first stage for a bucket of `rows` rows: each row's pile (into `pileOf`), drawn in row
 * order. Returns where each pile starts, in rows, and its end.
 */
export function drawPiles(rows: number, random: () => number, pileOf: Uint16Array): Int32Array {
  const count = Math.max(1, Math.ceil(rows / PILE_ROWS));
  const starts = new Int32Array(count + 1);
  for (let i = 0; i < rows; i++) {
    const p = Math.floor(random() * count);
    pileOf[i] = p;
    starts[p + 1] = starts[p + 1]! + 1;
  }
  for (let p = 0; p < count; p++) starts[p + 1] = starts[p + 1]! + starts[p]!;
  return starts;
}

/**
 * The epoch orders of training rows held in memory: positions into the training arrays, in
 * the order streamed training over the same rows and buckets would visit them.
 */
export class EpochOrder {
  /** The positions of each bucket's rows, bucket after bucket, each in row order. */
  private readonly members: Int32Array;
  /** Where each bucket's positions start in `members`, and its end. */
  private readonly bucketStarts: Int32Array;
  private pileOf = new Uint16Array(0);

  /**
   * @param rowNumbers the row number of each training position (any order: a bucket's rows are
   *   taken in ascending row number, as the streamed layout writes them)
   * @param buckets the streamed layout's bucket count (1 for rows that would fit one bucket)
   */
  constructor(
    rowNumbers: ArrayLike<number>,
    private readonly seed: number,
    private readonly buckets: number,
  ) {
    const n = rowNumbers.length;
    const byRow = new Int32Array(n);
    for (let k = 0; k < n; k++) byRow[k] = k;
    let sorted = true;
    for (let k = 1; k < n && sorted; k++) sorted = rowNumbers[k - 1]! < rowNumbers[k]!;
    if (!sorted) byRow.sort((a, b) => rowNumbers[a]! - rowNumbers[b]!);
    const bucket = new Int32Array(n);
    this.bucketStarts = new Int32Array(buckets + 1);
    for (let k = 0; k < n; k++) {
      const b = buckets === 1 ? 0 : bucketOf(rowNumbers[byRow[k]!]!, seed, buckets);
      bucket[k] = b;
      this.bucketStarts[b + 1] = this.bucketStarts[b + 1]! + 1;
    }
    for (let b = 0; b < buckets; b++) this.bucketStarts[b + 1] = this.bucketStarts[b + 1]! + this.bucketStarts[b]!;
    const fill = this.bucketStarts.slice(0, buckets);
    this.members = new Int32Array(n);
    for (let k = 0; k < n; k++) this.members[fill[bucket[k]!]!++] = byRow[k]!;
  }

  /** Epoch `epoch`'s order (1-based, as the trainers count): every position once. */
  permutation(epoch: number, out = new Int32Array(this.members.length)): Int32Array {
    const { random, order } = epochBuckets(this.seed, epoch, this.buckets);
    let at = 0;
    let visit = new Int32Array(0);
    for (let k = 0; k < this.buckets; k++) {
      const b = order[k]!;
      const from = this.bucketStarts[b]!;
      const rows = this.bucketStarts[b + 1]! - from;
      if (this.pileOf.length < rows) this.pileOf = new Uint16Array(rows);
      const starts = drawPiles(rows, random, this.pileOf);
      // The bucket's positions grouped by pile, each pile in row order (a stable scatter).
      const grouped = new Int32Array(rows);
      const fill = starts.slice(0, starts.length - 1);
      for (let i = 0; i < rows; i++) grouped[fill[this.pileOf[i]!]!++] = this.members[from + i]!;
      for (let p = 0; p + 1 < starts.length; p++) {
        const n = starts[p + 1]! - starts[p]!;
        if (n === 0) continue;
        if (visit.length < n) visit = new Int32Array(n);
        const v = visit.subarray(0, n);
        for (let i = 0; i < n; i++) v[i] = i;
        shuffle(v, random);
        const base = starts[p]!;
        for (let i = 0; i < n; i++) out[at++] = grouped[base + v[i]!]!;
      }
    }
    return out;
  }
}
