/**
 * Distances between two distributions given as counts on the same bins (histogram bins or
 * categories, in the same order). Tested against scipy/numpy on the same bins to 1e-9
 * (test/unit/drift.test.ts, test/reference/drift_reference.py).
 */

/** Counts (or weights) scaled to sum to 1; all zeros stay zeros. */
export function normalize(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return total > 0 ? counts.map((c) => c / total) : counts.map(() => 0);
}

function sameLength(p: readonly number[], q: readonly number[]): void {
  if (p.length !== q.length) throw new RangeError(`distributions have ${p.length} and ${q.length} bins; they must share bins`);
  if (p.length === 0) throw new RangeError('distributions have no bins');
}

/** x ln(x / y), 0 when x is 0 (scipy.special.rel_entr). */
function relEntr(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(x / y);
}

/**
 * Jensen-Shannon DISTANCE with log base 2: sqrt of the JS divergence, so it lies in [0, 1]
 * (0 same distribution, 1 disjoint supports). Base 2 makes thresholds read as fractions; it
 * equals scipy.spatial.distance.jensenshannon(p, q, base=2). Inputs are normalized first.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  sameLength(p, q);
  const pn = normalize(p);
  const qn = normalize(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i]! + qn[i]!) / 2;
    left += relEntr(pn[i]!, m);
    right += relEntr(qn[i]!, m);
  }
  // Same order of operations as scipy: divergence in nats, then change of base.
  const js = (left + right) / Math.LN2;
  return Math.sqrt(Math.max(0, js / 2));
}

/** The largest absolute change in any bin's share, and that bin (TFDV's L-infinity distance). */
export function lInfinityDistance(p: readonly number[], q: readonly number[]): { distance: number; index: number } {
  sameLength(p, q);
  const pn = normalize(p);
  const qn = normalize(q);
  let distance = -1;
  let index = 0;
  for (let i = 0; i < pn.length; i++) {
    const d = Math.abs(pn[i]! - qn[i]!);
    if (d > distance) [distance, index] = [d, i];
  }
  return { distance, index };
}

/** Shares below this are raised to it so an empty bin does not make PSI infinite. */
export const PSI_EPSILON = 1e-4;

/**
 * Population Stability Index, natural log: sum over bins of (a - e) ln(a / e) where e and a
 * are the expected (baseline) and actual shares, each floored at `epsilon`.
 */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  sameLength(expected, actual);
  const e = normalize(expected);
  const a = normalize(actual);
  let psi = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i]!, epsilon);
    const ai = Math.max(a[i]!, epsilon);
    psi += (ai - ei) * Math.log(ai / ei);
  }
  return psi;
}
