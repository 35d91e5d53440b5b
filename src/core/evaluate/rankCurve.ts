/**
 * sklearn's _binary_clf_curve (cumulative weighted false and true positives at each distinct
 * score, from the highest down), walked point by point instead of held: the ROC and PR areas
 * only need the points in order, and a held curve of a 20M-row evaluation (one point per distinct
 * score, three float64 arrays, plus an index order sorted with a comparator, which V8 copies into
 * two boxed work arrays) took about 1 GB.
 *
 * Unweighted (every evaluation a training run makes): the positives' and the negatives' scores are
 * copied apart (float32 when the scores are float32: exact) and sorted natively, in place, with no
 * comparator; a merge of the two from the top gives each distinct score's counts. Counts of whole
 * rows are exact integers, so the points are exactly those of the index sort.
 * Weighted: tied rows must be summed in sklearn's order (reverse row order: it reverses a stable
 * ascending sort) for the compensated sums to match term by term, so the rows keep an index order
 * sorted by score then row; only this path holds one.
 */
import { CompensatedSum } from './summation';
import type { BinaryData } from './types';

export interface CurveWalk {
  /** The curve's last point: the (weighted) count of negatives and of positives. */
  fpTotal: number;
  tpTotal: number;
  /** Calls `visit` at each distinct score, highest first, with the counts at or above it. */
  forEach(visit: (fps: number, tps: number, threshold: number) => void): void;
}

export function curveWalk(data: BinaryData): CurveWalk {
  return data.weights ? weightedWalk(data.labels, data.scores, data.weights) : countedWalk(data.labels, data.scores);
}

function countedWalk(labels: ArrayLike<number>, scores: ArrayLike<number>): CurveWalk {
  const n = labels.length;
  let positives = 0;
  let constant = true;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) positives++;
    if (scores[i] !== scores[0]) constant = false;
  }
  const negatives = n - positives;
  // One score for every row (a naive baseline): one point, and no copy of the scores to sort.
  if (constant) return { fpTotal: negatives, tpTotal: positives, forEach: (visit) => n > 0 && visit(negatives, positives, scores[0]!) };
  const Scores = scores instanceof Float32Array ? Float32Array : Float64Array;
  const pos = new Scores(positives);
  const neg = new Scores(negatives);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (labels[i] === 1) pos[p++] = scores[i]!;
    else neg[q++] = scores[i]!;
  }
  // Ascending; -0 sorts before 0, but the walk below groups with ===, as the index sort did.
  pos.sort();
  neg.sort();
  return {
    fpTotal: negatives,
    tpTotal: positives,
    forEach(visit) {
      let i = positives - 1;
      let j = negatives - 1;
      let tp = 0;
      let fp = 0;
      while (i >= 0 || j >= 0) {
        const s = j < 0 || (i >= 0 && pos[i]! >= neg[j]!) ? pos[i]! : neg[j]!;
        // checkBinary refuses NaN scores; one here would never equal itself and stall the walk.
        if (s !== s) throw new Error('rank curve: a NaN score');
        while (i >= 0 && pos[i] === s) (tp++, i--);
        while (j >= 0 && neg[j] === s) (fp++, j--);
        visit(fp, tp, s);
      }
    },
  };
}

function weightedWalk(labels: ArrayLike<number>, scores: ArrayLike<number>, weights: ArrayLike<number>): CurveWalk {
  // Zero-weight rows are dropped first, as sklearn does, so they cannot add a threshold.
  let kept = 0;
  for (let i = 0; i < labels.length; i++) if (weights[i] !== 0) kept++;
  const order = new Uint32Array(kept);
  for (let i = 0, k = 0; i < labels.length; i++) if (weights[i] !== 0) order[k++] = i;
  order.sort((a, b) => scores[b]! - scores[a]! || b - a);
  const forEach = (visit: (fps: number, tps: number, threshold: number) => void) => {
    const tp = new CompensatedSum();
    const fp = new CompensatedSum();
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      if (labels[i] === 1) tp.add(weights[i]!);
      else fp.add(weights[i]!);
      if (k + 1 === order.length || scores[order[k + 1]!] !== scores[i]) visit(fp.value, tp.value, scores[i]!);
    }
  };
  // The totals are the last point's running sums (to the last bit), so they take a walk of their own.
  let fpTotal = 0;
  let tpTotal = 0;
  forEach((fps, tps) => ((fpTotal = fps), (tpTotal = tps)));
  return { fpTotal, tpTotal, forEach };
}

/**
 * sklearn's roc_auc_score (the trapezoid rule over (0, 0) and (FPR, TPR) at every distinct
 * threshold; NaN with one class, where sklearn raises) and average_precision_score
 * (Σ (Rₙ − Rₙ₋₁)·Pₙ from the highest threshold, R₋₁ = 0; with no positive row recall is 1
 * everywhere, which makes it 0), in one walk of the curve.
 */
export function rankingAreas(walk: CurveWalk): { auc: number; pr_auc: number } {
  const { fpTotal, tpTotal } = walk;
  const area = new CompensatedSum();
  const ap = new CompensatedSum();
  let x0 = 0;
  let y0 = 0;
  let previousRecall = 0;
  walk.forEach((fps, tps) => {
    const x = fps / fpTotal;
    const y = tps / tpTotal;
    area.add(((x - x0) * (y + y0)) / 2);
    x0 = x;
    y0 = y;
    const predicted = tps + fps;
    const precision = predicted !== 0 ? tps / predicted : 0;
    const recall = tpTotal === 0 ? 1 : y;
    ap.add((recall - previousRecall) * precision);
    previousRecall = recall;
  });
  return { auc: fpTotal > 0 && tpTotal > 0 ? area.value : NaN, pr_auc: ap.value };
}
