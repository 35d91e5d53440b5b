/**
 * Streamed training's rows on disk: every row encoded once by the fitted transforms and written
 * as a fixed record of 4-byte fields into files of a private temporary folder, so that an epoch
 * reads plain bytes back with fs instead of querying, decoding and transforming again.
 *
 * A record: [__row int32][label float32][dense inputs float32 x D][one-hot slots int32 x G].
 * Dense inputs are the model inputs with a value of their own (standardized numbers, a date's
 * year); a one-hot group (one_hot, vocabulary, bucketize, a date's month...) is stored as the
 * model input column that is 1, or `width + 1` when none is: a slot of the trainer's parameters
 * that stays 0, so the training loop adds it without a branch. 88 bytes for 16 numbers and 4
 * categories instead of 59 dense floats.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cancelled } from '../errors';
import type { FittedTransforms } from '../features/spec';

export interface RecordLayout {
  /** Model inputs (the design matrix's width). */
  width: number;
  /** The model input column of each dense field, in record order. */
  denseCols: Int32Array;
  /** One-hot groups in record order: their first column and their number of columns. */
  groups: { at: number; size: number }[];
  /** 4-byte fields per record. */
  stride: number;
}

/** Rows as records: the same buffer seen as float32 and int32 fields. */
export interface Records {
  rows: number;
  f32: Float32Array;
  i32: Int32Array;
  layout: RecordLayout;
}

/** Where each fitted feature's outputs go in a record. */
export function recordLayout(t: FittedTransforms): RecordLayout {
  const dense: number[] = [];
  const groups: { at: number; size: number }[] = [];
  let at = 0;
  const group = (size: number) => {
    groups.push({ at, size });
    at += size;
  };
  for (const f of t.features) {
    switch (f.kind) {
      case 'identity':
      case 'standardize':
      case 'min_max':
      case 'log':
        dense.push(at++);
        break;
      case 'bucketize':
        group(f.boundaries.length + 1);
        break;
      case 'one_hot':
      case 'vocabulary':
        group(f.values.length + f.oovBuckets);
        break;
      case 'date_parts':
        for (const part of f.parts) {
          if (part === 'year' || part === 'weekend') dense.push(at++);
          else group(part === 'month' ? 12 : part === 'day_of_week' ? 7 : 24);
        }
        break;
    }
  }
  if (at !== t.width) throw new Error(`record layout: ${at} columns for a width of ${t.width}`);
  return { width: t.width, denseCols: Int32Array.from(dense), groups, stride: 2 + dense.length + groups.length };
}

/**
 * Encodes `n` rows of a dense design-matrix tile (row-major, `layout.width` per row) with their
 * labels and row numbers into records at `out` from field `at`. A one-hot group with another
 * value than 0/1 or two ones is a transform this layout does not know: an error, never a silent
 * change of the model's inputs.
 */
export function encodeRecords(layout: RecordLayout, x: Float32Array, i: number, y: number, row: number, out: { f32: Float32Array; i32: Int32Array }, at: number): void {
  const { width, denseCols, groups } = layout;
  const base = i * width;
  out.i32[at] = row;
  out.f32[at + 1] = y;
  let o = at + 2;
  for (let d = 0; d < denseCols.length; d++) out.f32[o++] = x[base + denseCols[d]!]!;
  for (let g = 0; g < groups.length; g++) {
    const { at: first, size } = groups[g]!;
    let slot = width + 1;
    for (let j = 0; j < size; j++) {
      const v = x[base + first + j]!;
      if (v === 0) continue;
      if (v !== 1 || slot !== width + 1) throw new Error(`record layout: columns ${first}..${first + size - 1} are not one-hot in row ${row}`);
      slot = first + j;
    }
    out.i32[o++] = slot;
  }
}

/**
 * Records appended to numbered files, each through its own buffer of `blockRows` records
 * (written when full and on flush). Files are `<prefix>-<k>.bin` in `dir`.
 */
export class RecordFiles {
  private readonly buffers = new Map<number, { f32: Float32Array; i32: Int32Array; bytes: Uint8Array; fill: number; fd: number }>();
  readonly counts: number[] = [];

  constructor(
    readonly dir: string,
    readonly prefix: string,
    private readonly layout: RecordLayout,
    private readonly blockRows = 8192,
  ) {}

  file(k: number): string {
    return path.join(this.dir, `${this.prefix}-${k}.bin`);
  }

  /** The next record's slot in file `k`: encode into `f32`/`i32` at the returned field offset. */
  slot(k: number): { f32: Float32Array; i32: Int32Array; at: number } {
    let b = this.buffers.get(k);
    if (!b) {
      const buf = new ArrayBuffer(this.blockRows * this.layout.stride * 4);
      b = { f32: new Float32Array(buf), i32: new Int32Array(buf), bytes: new Uint8Array(buf), fill: 0, fd: fs.openSync(this.file(k), 'a') };
      this.buffers.set(k, b);
      while (this.counts.length <= k) this.counts.push(0);
    } else if (b.fill === this.blockRows) this.write(b);
    this.counts[k]!++;
    return { f32: b.f32, i32: b.i32, at: b.fill++ * this.layout.stride };
  }

  private write(b: { bytes: Uint8Array; fill: number; fd: number }): void {
    const n = b.fill * this.layout.stride * 4;
    for (let off = 0; off < n; ) off += fs.writeSync(b.fd, b.bytes, off, n - off);
    b.fill = 0;
  }

  /** Writes file `k`'s buffer and closes it (more records would reopen it for appending). */
  close(k: number): void {
    const b = this.buffers.get(k);
    if (!b) return;
    this.write(b);
    fs.closeSync(b.fd);
    this.buffers.delete(k);
  }

  closeAll(): void {
    for (const k of [...this.buffers.keys()]) this.close(k);
  }
}

/** One file's records, read whole (a bucket: bounded by the memory budget). */
export async function readRecords(file: string, layout: RecordLayout, signal?: AbortSignal): Promise<Records> {
  if (signal?.aborted) throw cancelled();
  const buf = await fs.promises.readFile(file, signal ? { signal } : undefined).catch((e: unknown) => {
    if (signal?.aborted) throw cancelled();
    throw e;
  });
  // Typed views need 4-byte alignment; a fresh large Buffer has it, a pooled one may not.
  const bytes = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const fields = bytes.length >>> 2;
  return {
    rows: fields / layout.stride,
    f32: new Float32Array(bytes.buffer, bytes.byteOffset, fields),
    i32: new Int32Array(bytes.buffer, bytes.byteOffset, fields),
    layout,
  };
}

/** Rows [from, to) of some records as a dense design matrix (the tile transformColumns gives). */
export function denseRows(r: Records, from: number, to: number): Float32Array {
  const { width, denseCols, groups, stride } = r.layout;
  const D = denseCols.length;
  const x = new Float32Array((to - from) * width);
  for (let i = from, o = 0; i < to; i++, o += width) {
    const at = i * stride + 2;
    for (let d = 0; d < D; d++) x[o + denseCols[d]!] = r.f32[at + d]!;
    for (let g = 0; g < groups.length; g++) {
      const slot = r.i32[at + D + g]!;
      if (slot < width) x[o + slot] = 1;
    }
  }
  return x;
}

/** A private folder for one run's records, under the system's temporary directory. */
export function recordsFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-train-'));
}
