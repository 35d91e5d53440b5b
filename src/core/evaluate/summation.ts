/**
 * Compensated sums. Metrics over 100k rows must agree with scikit-learn (numpy's pairwise sums)
 * to 1e-9; a naive running sum drifts by up to n·ε and loses the last digits of small means,
 * while Neumaier's compensation keeps the error at about one ulp regardless of n.
 */

/** Neumaier's variant of Kahan summation: also exact when a term is larger than the running sum. */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
  }

  get value(): number {
    // An infinite term turns the compensation into NaN; the plain sum is the right answer then.
    return Number.isFinite(this.sum) ? this.sum + this.compensation : this.sum;
  }
}

export function sum(values: ArrayLike<number>): number {
  const s = new CompensatedSum();
  for (let i = 0; i < values.length; i++) s.add(values[i]!);
  return s.value;
}

/** Σ wᵢ·xᵢ / Σ wᵢ, numpy.average's definition; without weights the plain mean. */
export function weightedMean(values: ArrayLike<number>, weights?: ArrayLike<number>): number {
  if (!weights) return sum(values) / values.length;
  const num = new CompensatedSum();
  const den = new CompensatedSum();
  for (let i = 0; i < values.length; i++) {
    num.add(weights[i]! * values[i]!);
    den.add(weights[i]!);
  }
  return num.value / den.value;
}

/**
 * weightedMean of `value(i)` for i < n, with the same sums in the same order, without an array
 * of the n values (8 bytes a row: 160 MB for a 20M-row evaluation).
 */
export function weightedMeanOf(n: number, value: (i: number) => number, weights?: ArrayLike<number>): number {
  const num = new CompensatedSum();
  if (!weights) {
    for (let i = 0; i < n; i++) num.add(value(i));
    return num.value / n;
  }
  const den = new CompensatedSum();
  for (let i = 0; i < n; i++) {
    num.add(weights[i]! * value(i));
    den.add(weights[i]!);
  }
  return num.value / den.value;
}

/** Total weight: the row count when unweighted. */
export function totalWeight(n: number, weights?: ArrayLike<number>): number {
  return weights ? sum(weights) : n;
}
