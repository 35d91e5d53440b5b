/**
 * numpy's bin edges, histograms and quantiles, reproduced operation for operation: reports put
 * these next to numbers users recompute in a notebook, and a value sitting exactly on an edge
 * (scores rounded to 0.3, say) must land in the same bin there and here.
 */
import type { Histogram } from './types';

/** numpy.linspace(start, stop, num): start + i·step with the last point pinned to stop. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** numpy.histogram_bin_edges(values, bins): equal widths over [min, max], ±0.5 around a constant. */
export function histogramEdges(min: number, max: number, bins: number): number[] {
  return min === max ? linspace(min - 0.5, max + 0.5, bins + 1) : linspace(min, max, bins + 1);
}

/** The bin of x: edges[b] ≤ x < edges[b+1], the last bin closed; -1 outside. */
export function binIndex(edges: readonly number[], x: number): number {
  const last = edges.length - 2;
  if (!(x >= edges[0]!) || x > edges[last + 1]!) return -1;
  if (x === edges[last + 1]) return last;
  let lo = 0;
  let hi = last + 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** numpy.histogram(values, bins) over finite values. */
export function histogram(values: ArrayLike<number>, bins: number): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { edges: [], counts: [] };
  const edges = histogramEdges(min, max, bins);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i]!)]!++;
  return { edges, counts };
}

/** numpy.quantile(values, q) with its default 'linear' method, on values already sorted ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1]!;
  if (virtual <= 0) return sorted[0]!;
  const below = Math.floor(virtual);
  const a = sorted[below]!;
  const b = sorted[below + 1]!;
  const t = virtual - below;
  // numpy's _lerp: interpolate from the nearer end so that t = 1 gives b exactly.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}
