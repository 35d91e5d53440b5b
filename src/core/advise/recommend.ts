/**
 * From a key distribution to a serving mode (the rules are in types.ts AdviceThresholds), the size
 * of the precomputed table, and the paragraph that explains the choice.
 */
import { fmtPct } from '../report/format';
import { badInput } from '../errors';
import { DEFAULT_THRESHOLDS, type AdviceThresholds, type KeyDistribution, type KeySourceInfo, type ServingMode } from './types';

/** Bytes a served table entry costs besides its key: a V8 Map slot and string header (~56) per key. */
const ENTRY_OVERHEAD = 56;
/** A prediction as a boxed double. */
const BYTES_PER_OUTPUT = 16;

export function thresholdsWith(partial: Partial<AdviceThresholds> | undefined): AdviceThresholds {
  const t = { ...DEFAULT_THRESHOLDS, ...(partial ?? {}) };
  const count = (name: keyof AdviceThresholds) => {
    const v = t[name];
    if (!Number.isInteger(v) || v < 0) throw badInput(undefined, `${name} must be a whole number ≥ 0, not ${v}`);
  };
  const share = (name: keyof AdviceThresholds, open: boolean) => {
    const v = t[name];
    if (!(typeof v === 'number' && v >= 0 && v <= 1 && !(open && v === 0))) throw badInput(undefined, `${name} must be a share ${open ? 'in (0, 1]' : 'in [0, 1]'}, not ${v}`);
  };
  count('staticMaxKeys');
  count('cacheMaxKeys');
  share('targetCoverage', true);
  share('maxHeadFraction', true);
  share('minRepeatShare', false);
  return t;
}

/** Approximate bytes of a served table of `keys` entries (measured on Node 20: 64-112 bytes for 8-36 character keys). */
export function tableMemoryBytes(keys: number, meanKeyLength: number, outputsPerRow: number): number {
  const keyBytes = Math.ceil(Math.max(1, meanKeyLength) / 8) * 8;
  return Math.round(keys * (ENTRY_OVERHEAD + keyBytes + BYTES_PER_OUTPUT * Math.max(1, outputsPerRow)));
}

export interface Recommendation {
  recommendation: ServingMode;
  table: { keys: number; coverage: number; memoryBytes: number };
  reasoning: string;
}

export function recommend(d: KeyDistribution, t: AdviceThresholds, source: KeySourceInfo, outputsPerRow: number): Recommendation {
  const kTarget = keysFor(d, t.targetCoverage);
  const headFraction = d.keys > 0 ? kTarget / d.keys : 1;
  const repeats = d.repeatShare >= t.minRepeatShare;
  const measured = measuredText(d, source, t);
  const mem = (k: number) => tableMemoryBytes(k, d.meanKeyLength, outputsPerRow);

  if (d.keys <= t.staticMaxKeys && repeats) {
    return {
      recommendation: 'static',
      table: { keys: d.keys, coverage: 1, memoryBytes: mem(d.keys) },
      reasoning:
        `Static serving: precompute all ${fmtInt(d.keys)} keys. ${measured} ` +
        `That is at most ${fmtInt(t.staticMaxKeys)} keys, so scoring every one ahead of time is cheap and the table takes about ${fmtBytes(mem(d.keys))} in the server; ` +
        `${pct(d.repeatShare)} of requests ask for a key asked before (at least ${pct(t.minRepeatShare)} needed), so a table built now keeps answering. ` +
        `Rebuild the table (prodml predict --static) whenever a new version is promoted or the features behind a key change; a key not in the table is still scored by the model.`,
    };
  }
  if (kTarget <= t.cacheMaxKeys && headFraction <= t.maxHeadFraction && repeats) {
    const coverage = coverageAt(d, kTarget);
    return {
      recommendation: 'hybrid',
      table: { keys: kTarget, coverage, memoryBytes: mem(kTarget) },
      reasoning:
        `Hybrid serving: precompute the ${fmtInt(kTarget)} most requested keys and compute the rest on request. ${measured} ` +
        `The traffic is peaked: those ${fmtInt(kTarget)} keys (${pct(headFraction)} of all keys, at most ${pct(t.maxHeadFraction)} allowed) receive ${pct(coverage)} of requests, ` +
        `so a table of about ${fmtBytes(mem(kTarget))} answers most requests without the model, while the long tail of ${fmtInt(d.keys - kTarget)} keys would cost ${fmtBytes(mem(d.keys - kTarget))} more for the remaining ${pct(1 - coverage)}` +
        (d.keys > t.staticMaxKeys ? ` (all ${fmtInt(d.keys)} keys are more than the ${fmtInt(t.staticMaxKeys)} a static table may hold).` : '.'),
    };
  }
  const why: string[] = [];
  if (!repeats) why.push(`only ${pct(d.repeatShare)} of requests ask for a key asked before (below ${pct(t.minRepeatShare)}), so most precomputed predictions would never be asked for`);
  if (d.keys > t.staticMaxKeys) why.push(`${fmtInt(d.keys)} keys are more than the ${fmtInt(t.staticMaxKeys)} worth precomputing whole`);
  if (repeats && kTarget > t.cacheMaxKeys) why.push(`covering ${pct(t.targetCoverage)} of requests takes the top ${fmtInt(kTarget)} keys, more than the ${fmtInt(t.cacheMaxKeys)} a precomputed head may hold`);
  else if (repeats && headFraction > t.maxHeadFraction) why.push(`covering ${pct(t.targetCoverage)} of requests takes ${pct(headFraction)} of all keys (more than ${pct(t.maxHeadFraction)}): there is no popular head, the traffic is a long tail`);
  return {
    recommendation: 'dynamic',
    table: { keys: 0, coverage: 0, memoryBytes: 0 },
    reasoning: `Dynamic serving: compute each prediction on request. ${measured} A precomputed table does not pay here: ${why.join('; ')}.`,
  };
}

/** The fewest top keys covering `share` of requests (from the distribution's coverage targets). */
export function keysFor(d: KeyDistribution, share: number): number {
  const hit = d.keysForCoverage.find((x) => x.coverage === share);
  if (!hit) throw new Error(`coverage ${share} was not measured`);
  return hit.k;
}

/** Coverage of the top k: the curve passes through every k of keysForCoverage. */
function coverageAt(d: KeyDistribution, k: number): number {
  const p = d.curve.find((x) => x.k === k);
  if (!p) throw new Error(`coverage of the top ${k} keys was not measured`);
  return p.coverage;
}

function measuredText(d: KeyDistribution, source: KeySourceInfo, t: AdviceThresholds): string {
  const from = source.kind === 'log' ? `the prediction log (key ${source.key})` : `${source.path} (column ${source.key})`;
  const k50 = keysFor(d, 0.5);
  // A power law that does not fit (r² < 0.9) would say nothing true about the tail.
  const zipf = d.zipf && d.zipf.r2 >= 0.9 ? `, Zipf exponent ${d.zipf.exponent.toFixed(2)}` : '';
  return (
    `In ${from}, ${fmtInt(d.requests)} requests went to ${fmtInt(d.keys)} distinct keys; ` +
    `half of the requests go to the top ${fmtInt(k50)} and ${pct(t.targetCoverage)} to the top ${fmtInt(keysFor(d, t.targetCoverage))} ` +
    `(entropy ${d.entropyBits.toFixed(2)} bits, ${d.normalizedEntropy.toFixed(2)} of the uniform maximum${zipf}).`
  );
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function pct(x: number): string {
  return fmtPct(x);
}

export function fmtBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MB`;
  return `${(b / 1024 ** 3).toFixed(2)} GB`;
}
