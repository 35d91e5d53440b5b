/**
 * Drift detection with known truth (`npm run bench:drift`): reference data, then many windows
 * drawn from the same process (clean) or with one injected drift (mean shift, scale change, new
 * category, missing-rate increase), judged by the monitor's own statistics (driftStats.ts) with
 * the fixed default threshold and with thresholds calibrated on windows of the reference data
 * (calibrate.ts: mean + 3σ over the monitor's reference windows, on the log scale for the
 * distances and the square-root scale for the missing and new-value shares; `--linear` gives
 * the raw-scale rule used before, for comparison). A window counts as flagged
 * when any statistic of the drifted feature (its distance, its missing-rate rise, and for a
 * category the share of values never seen) is above its threshold, as the monitor would alert.
 *
 *   node --import tsx bench/drift.bench.ts [--windows 200] [--seed 7] [--linear]
 */
import { mulberry32 } from '../src/core/demo/random';
import { calibrateStatistic, calibrateUpper, oneRowShare, referenceStatistics } from '../src/core/monitor/calibrate';
import { MIN_RATE_CHANGE } from '../src/core/monitor/monitor';
import { compareFeature, summarizeBaseline, type DriftStatistic, type FeatureBaseline } from '../src/core/monitor/driftStats';
import { DEFAULT_MONITORING } from '../src/core/monitor/monitor';
import { referenceWindows } from '../src/core/monitor/baseline';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const WINDOWS = arg('windows', 200);
const SEED = arg('seed', 7);
const LINEAR = process.argv.includes('--linear');
/** The monitor's rule (calibrateStatistic), or with --linear mean + 3σ of every raw statistic, as before issue 5. */
const calibrate = (statistic: DriftStatistic, values: number[], floor: number, base: FeatureBaseline, windowRows: number) =>
  LINEAR ? calibrateUpper(values, floor) : calibrateStatistic(statistic, values, floor, base, windowRows);
const REFERENCE_ROWS = 30_000;
/** Realistic windows: a quiet day of traffic and a busy one. */
const WINDOW_SIZES = [500, 2000];
const MISSING = 0.02;
const CATEGORIES = ['card', 'cash', 'transfer', 'wallet', 'voucher', 'crypto', 'cheque', 'other'];
const CATEGORY_WEIGHTS = [0.34, 0.22, 0.15, 0.1, 0.08, 0.05, 0.04, 0.02];

const rand = mulberry32(SEED);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

interface Drift {
  mean?: number;
  scale?: number;
  newCategory?: number;
  missing?: number;
}

/** A numeric feature (amount-like: N(100, 15), two decimals) and a categorical one. */
function numericValues(n: number, d: Drift = {}): (number | null)[] {
  return Array.from({ length: n }, () => (rand() < (d.missing ?? MISSING) ? null : Math.round((100 + (d.mean ?? 0) * 15 + 15 * (d.scale ?? 1) * normal()) * 100) / 100));
}

function categoryValues(n: number, d: Drift = {}): (string | null)[] {
  return Array.from({ length: n }, () => {
    if (rand() < (d.missing ?? MISSING)) return null;
    if (d.newCategory && rand() < d.newCategory) return 'gift card';
    let u = rand();
    for (let i = 0; i < CATEGORIES.length; i++) if ((u -= CATEGORY_WEIGHTS[i]!) < 0) return CATEGORIES[i]!;
    return CATEGORIES[CATEGORIES.length - 1]!;
  });
}

const KINDS: { name: string; feature: 'numeric' | 'categorical'; drift: Drift }[] = [
  { name: 'mean shift (+0.5 sd)', feature: 'numeric', drift: { mean: 0.5 } },
  { name: 'scale change (sd x1.5)', feature: 'numeric', drift: { scale: 1.5 } },
  { name: 'new category (5% of rows)', feature: 'categorical', drift: { newCategory: 0.05 } },
  { name: 'missing rate 2% -> 10%', feature: 'numeric', drift: { missing: 0.1 } },
];

interface Thresholds {
  distance: number;
  missing: number;
  newValues: number;
}

function flagged(base: FeatureBaseline, values: unknown[], t: Thresholds): boolean {
  const c = compareFeature(base, values);
  return c.value > t.distance || c.missing_rate > t.missing || (c.new_values ?? 0) > t.newValues;
}

const fixed = DEFAULT_MONITORING.drift.threshold;
const reference = { numeric: numericValues(REFERENCE_ROWS), categorical: categoryValues(REFERENCE_ROWS) };
const baselines = { numeric: summarizeBaseline('amount', reference.numeric), categorical: summarizeBaseline('payment', reference.categorical) };
const referenceRows = reference.numeric.map((amount, i) => ({ amount, payment: reference.categorical[i] }));

console.log(`Drift benchmark: ${REFERENCE_ROWS.toLocaleString('en-US')} reference rows (2% missing), ${WINDOWS} clean + ${WINDOWS} drifted windows per kind and size, seed ${SEED}`);
console.log(
  `fixed threshold ${fixed} (monitoring.drift.threshold default) on every statistic; calibrated over windows of the reference data: ${LINEAR ? 'mean + 3 sd of every statistic' : 'exp(mean + 3 sd of ln) for distances, (mean + 3 sd of sqrt)^2 for the missing and new-value shares'}`,
);
console.log('');
const header = ['window', 'drift', 'fixed: detected', 'fixed: false alarms', 'calibrated: detected', 'calibrated: false alarms', 'calibrated thresholds (distance / missing rise / new values)'];
const rows: string[][] = [];
const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)}%`;
for (const size of WINDOW_SIZES) {
  const calibrated = {} as Record<'numeric' | 'categorical', Thresholds>;
  // The monitor's reference windows for data without a time column: random samples of the window size.
  const ref = referenceWindows(referenceRows, { requests: size }, undefined, size);
  for (const feature of ['numeric', 'categorical'] as const) {
    const windows = ref.windows.map((idx) => idx.map((i) => reference[feature][i]));
    const stats = referenceStatistics(baselines[feature], windows);
    const floor = oneRowShare(windows);
    calibrated[feature] = {
      distance: calibrate(feature === 'numeric' ? 'jensen_shannon' : 'l_infinity', stats.distance, floor, baselines[feature], size)!.threshold,
      missing: calibrate('missing_rate', stats.missing_rate, Math.max(floor, MIN_RATE_CHANGE), baselines[feature], size)!.threshold,
      newValues: calibrate('new_values', stats.new_values, Math.max(floor, MIN_RATE_CHANGE), baselines[feature], size)?.threshold ?? Infinity,
    };
  }
  for (const kind of KINDS) {
    const base = baselines[kind.feature];
    const draw = (d: Drift) => (kind.feature === 'numeric' ? numericValues(size, d) : categoryValues(size, d));
    const clean = Array.from({ length: WINDOWS }, () => draw({}));
    const drifted = Array.from({ length: WINDOWS }, () => draw(kind.drift));
    const count = (ws: unknown[][], t: Thresholds) => ws.filter((w) => flagged(base, w, t)).length;
    const f: Thresholds = { distance: fixed, missing: fixed, newValues: fixed };
    const c = calibrated[kind.feature];
    rows.push([
      String(size),
      kind.name,
      pct(count(drifted, f), WINDOWS),
      pct(count(clean, f), WINDOWS),
      pct(count(drifted, c), WINDOWS),
      pct(count(clean, c), WINDOWS),
      [c.distance, c.missing, c.newValues].filter(Number.isFinite).map((x) => x.toFixed(4)).join(' / '),
    ]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log('');
console.log('target: at least 95% detected with at most 1% false alarms');
