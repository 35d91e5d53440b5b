/**
 * Rows grouped by equality without a text key per row: a hash of the row finds the candidates, an
 * exact comparison with each class's first row decides, so a collision never merges two rows. At a
 * million rows, a text key per row (the values joined) took more memory than the data itself.
 */
import { fmix32 } from '../demo/random';

export class RowClasses {
  /** Hash → the class (or classes, on a collision) whose first row has it. */
  private readonly byHash = new Map<number, number | number[]>();
  /** Each class's first row, by class id (ids count up in order of first appearance). */
  readonly first: number[] = [];

  constructor(
    private readonly hash: (i: number) => number,
    private readonly same: (a: number, b: number) => boolean,
  ) {}

  /** The class of row i: the one whose first row equals it; else a new class, or -1 when `add` is false. */
  classOf(i: number, add = true): number {
    const h = this.hash(i);
    const ids = this.byHash.get(h);
    if (typeof ids === 'number') {
      if (this.same(this.first[ids]!, i)) return ids;
    } else if (ids) {
      for (const id of ids) if (this.same(this.first[id]!, i)) return id;
    }
    if (!add) return -1;
    const id = this.first.push(i) - 1;
    if (ids === undefined) this.byHash.set(h, id);
    else if (typeof ids === 'number') this.byHash.set(h, [ids, id]);
    else ids.push(id);
    return id;
  }
}

/** Rows 0..n-1 in classes: each row's class, and the classes of two or more rows (members ascending, classes by first appearance). */
export function groupRows(n: number, hash: (i: number) => number, same: (a: number, b: number) => boolean): { classOf: Int32Array; groups: number[][] } {
  const classes = new RowClasses(hash, same);
  const classOf = new Int32Array(n);
  for (let i = 0; i < n; i++) classOf[i] = classes.classOf(i);
  const size = new Int32Array(classes.first.length);
  for (let i = 0; i < n; i++) size[classOf[i]!]!++;
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = classOf[i]!;
    if (size[c]! < 2) continue;
    const list = members.get(c);
    if (list) list.push(i);
    else members.set(c, [i]);
  }
  return { classOf, groups: [...members.values()] };
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/** A 32-bit hash of a number, equal for numbers that are equal (0 and -0 alike, every NaN alike). */
export function numberHash(v: number): number {
  bits[0] = v === 0 ? 0 : v !== v ? Number.NaN : v;
  return fmix32(words[0]! ^ fmix32(words[1]! ^ 0x9e3779b9));
}

/** Equal numbers, with every NaN equal to every other (as their text is). */
export function sameNumber(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/** The hashes of a row's `count` values (hashAt) as one number of 53 bits, so rows of many columns rarely share one. */
export function mixHashes(count: number, hashAt: (c: number) => number): number {
  let a = 0x811c9dc5;
  let b = 0x3c6ef372;
  for (let c = 0; c < count; c++) {
    const h = hashAt(c);
    a = fmix32((a ^ h) + 0x7f4a7c15);
    b = fmix32(Math.imul(b ^ h, 0x85ebca6b) + 0x165667b1);
  }
  return a * 2097152 + (b & 0x1fffff);
}
