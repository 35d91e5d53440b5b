/**
 * What each feature is worth against what it costs. Value: permutation importance of a
 * registered version on its held-out rows (shuffle one raw input column, re-transform, re-score
 * through the Scorer, k seeded repeats; the drop of the key metric) and, when asked, leave-one-out
 * retraining. Cost: how often the feature is missing in training, where it comes from, and the
 * cost prodml.yaml gives it. A feature whose value is within noise of zero while it costs
 * something is a dependency the model does not need.
 */
import { DuckSession, type TypedColumn } from '../data/duckdb';
import { badInput, cancelled } from '../errors';
import { metricDirection } from '../evaluate/compareVersions';
import { scalarMetrics, taskDataOf } from '../evaluate/metrics';
import { fnv1a, mulberry32 } from '../demo/random';
import type { ModelConfig } from '../project/config';
import type { ModelVersion } from '../registry/types';
import { loadScorer, type Scorer } from '../serve/scorer';
import type { BackendName } from '../train/backend';
import type { Task } from '../train/model';
import { loadModelConfig, versionToCheck, splitDescription, yamlLocation } from './context';
import { featureCosts } from './costs';
import { pickRows } from '../features/applyColumns';
import { bootstrapWeights, DEFAULT_BOOTSTRAP, percentileInterval, verdictOf } from './interval';
import { retrainWithout } from './leaveOneOut';
import { loadCheckData, readRawColumns, scoreColumnsOf, transformInputs, type RawColumn } from './datasetColumns';
import { trainSplitRelation } from '../train/columnarSplit';
import { splitNotes } from '../train/splitData';
import type { CheckProgress, FeatureImportance, ImportanceReport, LeaveOneOut, PermutationImportance } from './types';

export interface ImportanceOptions {
  /** A version number, `latest` or an alias (default: the served version, else the newest). */
  version?: number | string;
  /** Shuffles per feature (default 5). */
  repeats?: number;
  /** Bootstrap resamples of the held-out rows behind each interval (default 200, fewer, down to 50, on large held-out sets). */
  bootstrap?: number;
  /** Seed of the shuffles and resamples (default the model's training seed). */
  seed?: number;
  /** Also retrain without each feature (slow: one training run per feature and seed, plus one with all per seed). */
  leaveOneOut?: boolean;
  /** Training seeds of the leave-one-out runs (default 3): their spread enters the interval. */
  looSeeds?: number;
  /** The drop a feature must clear to be worth its cost, as a share of |metric| (default 0.005). */
  minImportance?: number;
  /** Inputs correlated at least this much (|Pearson r| on the held-out rows) are also shuffled together (default 0.9). */
  correlation?: number;
  backend?: BackendName;
  signal?: AbortSignal;
  onProgress?: (p: CheckProgress) => void;
}

const KEY_METRIC: Record<Task, string> = { regression: 'rmse', binary: 'auc', multiclass: 'accuracy' };
const DEFAULT_REPEATS = 5;
const DEFAULT_MIN_IMPORTANCE = 0.005;
const DEFAULT_LOO_SEEDS = 3;
const DEFAULT_CORRELATION = 0.9;
/** Rows scored per feature across all resamples before the resample count drops below 200. */
const BOOTSTRAP_BUDGET = 5_000_000;

export async function featureImportance(root: string, model: string | undefined, opts: ImportanceOptions = {}): Promise<ImportanceReport> {
  const { project, m, yaml } = await loadModelConfig(root, model);
  const repeats = opts.repeats ?? DEFAULT_REPEATS;
  if (!Number.isInteger(repeats) || repeats < 2) throw badInput(undefined, `repeats must be a whole number of at least 2 (got ${repeats}): the spread needs two shuffles`);
  const looSeeds = opts.looSeeds ?? DEFAULT_LOO_SEEDS;
  if (!Number.isInteger(looSeeds) || looSeeds < 1) throw badInput(undefined, `leave-one-out seeds must be a whole number of at least 1 (got ${looSeeds})`);
  const explicitBootstrap = opts.bootstrap;
  const correlation = opts.correlation ?? DEFAULT_CORRELATION;
  const say = (fraction: number, phase: string) => {
    if (opts.signal?.aborted) throw cancelled();
    opts.onProgress?.({ fraction, phase });
  };
  const { version, note } = await versionToCheck(root, m.name, opts.version);
  const notes = note ? [note] : [];
  if (version.card.task !== m.task || version.card.label !== m.label) {
    throw badInput(project.file, `models.${m.name} predicts ${m.label} (${m.task}) but ${m.name}:${version.version} predicts ${version.card.label} (${version.card.task}): retrain it before judging its features`);
  }
  const seed = opts.seed ?? m.training.seed ?? 42;
  // Leave-one-out takes most of the time when asked for: permutations get the first 20%.
  const permShare = opts.leaveOneOut ? 0.2 : 0.9;

  const session = await DuckSession.open({ allowedDirectories: [root] });
  try {
    say(0, `Reading ${m.dataset.path.join(', ')}`);
    const data = await loadCheckData(session, project, m, opts.signal);
    notes.push(...splitNotes(m, data, version));
    const scorer = await loadScorer(version);
    let perm: PermutationResult;
    // Each resample rescores every repeat of every feature: on large held-out sets, fewer resamples
    // (at least 50) keep the cost bounded; their intervals are narrow anyway.
    const bootstrap = explicitBootstrap ?? Math.max(50, Math.min(DEFAULT_BOOTSTRAP, Math.floor(BOOTSTRAP_BUDGET / (data.eval.length * repeats))));
    const weights = bootstrapWeights(data.eval.length, bootstrap, seed ^ 0x5bd1e995);
    let raw: Map<string, RawColumn>;
    try {
      const absent = scorer.inputs.filter((c) => !data.columns.some((x) => x.name === c));
      if (absent.length > 0) throw badInput(project.file, `models.${m.name}: the ${m.dataset.name} data has no column ${absent.map((c) => `"${c}"`).join(', ')}, which ${m.name}:${version.version} reads`);
      raw = await readRawColumns(session, data, scorer.inputs, opts.signal);
      const groups = correlatedGroups(raw, data.eval, scorer.inputs, correlation);
      const inputs = await transformInputs(session, data, m, scorer.transforms, opts.signal);
      perm = permutationImportance(scorer, version, m, { labels: data.labels, eval: data.eval, inputs }, { repeats, seed, weights, groups, onFeature: (k, n, f) => say(0.1 + (permShare - 0.1) * (k / n), `Shuffling ${f} (${k + 1} of ${n})`) });
    } finally {
      scorer.dispose();
    }
    const costs = featureCosts(m, data, raw, scorer.inputs);
    const threshold = (opts.minImportance ?? DEFAULT_MIN_IMPORTANCE) * Math.abs(perm.base);
    const rows = data.eval.length;
    let loo: ImportanceReport['leave_one_out'];
    const looOf: Record<string, LeaveOneOut> = {};
    if (opts.leaveOneOut) {
      const relation = await trainSplitRelation(session, data.table, data.train);
      const runs = [undefined, ...m.features.map((f) => f.name)];
      const seeds = Array.from({ length: looSeeds }, (_, s) => (m.training.seed ?? 42) + s);
      const total = runs.length * seeds.length;
      const outs = new Map<string | undefined, Float32Array[]>();
      const metrics = new Map<string | undefined, number[]>();
      let backend = '';
      let epochs = 0;
      let k = 0;
      for (const s of seeds) {
        for (const without of runs) {
          const at = (e: number, n: number) => permShare + (1 - permShare) * ((k + e / n) / total);
          const what = without ? `without ${without}` : 'with every feature';
          say(at(0, 1), `Retraining ${what}, seed ${s} (${k + 1} of ${total})`);
          const r = await retrainWithout(session, m, data, relation, without, { seed: s, backend: opts.backend, signal: opts.signal, onEpoch: (e, n) => say(at(e, n), `Retraining ${what}, seed ${s}: epoch ${e} of ${n}`) });
          outs.set(without, [...(outs.get(without) ?? []), r.out]);
          metrics.set(without, [...(metrics.get(without) ?? []), r.metrics[perm.metric] ?? Number.NaN]);
          if (without === undefined && s === seeds[0]) {
            backend = r.backend;
            epochs = r.epochs;
          }
          k++;
        }
      }
      loo = { full: metrics.get(undefined)![0]!, backend, epochs, seeds };
      const full = outs.get(undefined)!;
      for (const f of m.features.map((x) => x.name)) {
        const without = outs.get(f)!;
        const perSeed = seeds.map((_, s) => dropOf(perm.metric, metrics.get(undefined)![s]!, metrics.get(f)![s]!));
        const boot = weights.map((w) => mean(seeds.map((_, s) => dropOf(perm.metric, perm.measure(full[s]!, w), perm.measure(without[s]!, w)))));
        const [lo, hi] = percentileInterval(boot);
        looOf[f] = { metric: metrics.get(f)![0]!, drop: mean(perSeed), seeds: perSeed, ci_low: lo, ci_high: hi };
      }
    }
    const groupOf = new Map(perm.groups.flatMap((g) => g.features.map((f) => [f, g.name] as const)));
    const features: FeatureImportance[] = scorer.inputs.map((f) => {
      const p = perm.features[f]!;
      const v = verdictOf(p.mean, p.ci_low, p.ci_high, threshold, rows);
      const cost = costs[f]!;
      const l = looOf[f];
      const g = groupOf.get(f);
      return {
        feature: f,
        importance: p.mean,
        ci_low: p.ci_low,
        ci_high: p.ci_high,
        ...v,
        permutation: p,
        ...(l ? { leave_one_out: l } : {}),
        ...(g ? { group: g } : {}),
        cost,
        note: noteFor(f, perm.metric, p, v, threshold, cost, l, g),
        ...withLocation(yamlLocation(project.file, yaml, ['models', m.name, 'features', f])),
      };
    });
    features.sort((a, b) => b.importance - a.importance || (a.feature < b.feature ? -1 : 1));
    say(1, 'Done');
    return {
      model: m.name,
      version: version.version,
      metric: perm.metric,
      direction: metricDirection(perm.metric),
      base: perm.base,
      rows,
      data: `the held-out split of ${m.dataset.path.join(', ')} (${splitDescription(m, data.seed)})`,
      repeats,
      bootstrap,
      seed,
      threshold,
      features,
      groups: perm.groups.map((g) => ({ ...g, ...verdictOf(g.importance, g.ci_low, g.ci_high, threshold, rows) })),
      correlation,
      ...(loo ? { leave_one_out: loo } : {}),
      notes,
    };
  } finally {
    session.close();
  }
}

function withLocation<T>(at: T | undefined): { location?: T } {
  return at ? { location: at } : {};
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** How much worse `after` is than `before`, in the metric's direction: positive means worse. */
export function dropOf(metric: string, before: number, after: number): number {
  const d = metricDirection(metric);
  return d === 'lower' ? after - before : d === 'zero' ? Math.abs(after) - Math.abs(before) : before - after;
}

/**
 * Numeric inputs whose values move together on the held-out rows (|Pearson r| at or above
 * `threshold`, joined transitively). Shuffling one of them leaves its twin to carry the signal,
 * so each alone looks unimportant; shuffled together they show what they carry between them.
 */
export function correlatedGroups(columns: ReadonlyMap<string, RawColumn>, idx: readonly number[], inputs: readonly string[], threshold: number): { features: string[]; min_correlation: number }[] {
  // A column with text that is not a number (a category) is no number to correlate.
  const cols = inputs
    .map((f) => ({ f, c: columns.get(f)! }))
    .filter(({ c }) => idx.every((i) => typeof c.value(i) !== 'string' || !Number.isNaN(c.number(i))))
    .map(({ f, c }) => ({ f, x: Float64Array.from(idx, (i) => c.number(i)) }))
    .filter((c) => c.x.filter((v) => !Number.isNaN(v)).length >= 3);
  const parent = cols.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const joined = new Map<number, number>();
  for (let a = 0; a < cols.length; a++) {
    for (let b = a + 1; b < cols.length; b++) {
      const r = Math.abs(pearson(cols[a]!.x, cols[b]!.x));
      if (!(r >= threshold)) continue;
      const [ra, rb] = [find(a), find(b)];
      const min = Math.min(r, joined.get(ra) ?? 1, joined.get(rb) ?? 1);
      parent[rb] = ra;
      joined.set(ra, min);
    }
  }
  const byRoot = new Map<number, string[]>();
  cols.forEach((c, i) => byRoot.set(find(i), [...(byRoot.get(find(i)) ?? []), c.f]));
  return [...byRoot].filter(([, fs]) => fs.length > 1).map(([root, fs]) => ({ features: fs, min_correlation: joined.get(root) ?? 1 }));
}

/** Pearson's r over the rows where both are known (NaN: missing). */
function pearson(x: Float64Array, y: Float64Array): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!) || Number.isNaN(y[i]!)) continue;
    n++;
    sx += x[i]!;
    sy += y[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let cxy = 0;
  let cxx = 0;
  let cyy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!) || Number.isNaN(y[i]!)) continue;
    cxy += (x[i]! - mx) * (y[i]! - my);
    cxx += (x[i]! - mx) ** 2;
    cyy += (y[i]! - my) ** 2;
  }
  return cxx > 0 && cyy > 0 ? cxy / Math.sqrt(cxx * cyy) : 0;
}

/** What the permutations read: labels of every row, the held-out rows, and the scorer's inputs over every row (transformInputs). */
export interface HeldOut {
  labels: { y: Float32Array; classes?: string[] };
  eval: readonly number[];
  /** One column per feature of the scorer's transforms, in order. */
  inputs: readonly TypedColumn[];
}

export interface PermutationResult {
  metric: string;
  base: number;
  features: Record<string, PermutationImportance>;
  groups: { name: string; features: string[]; min_correlation: number; importance: number; ci_low: number; ci_high: number }[];
  /** The metric of outputs on the held-out rows, optionally weighted (a bootstrap resample). */
  measure: (out: Float32Array, weights?: Float64Array) => number;
}

/**
 * The permutation part on its own: each input column (and each correlated group, jointly)
 * shuffled across the held-out rows, the other columns kept, scored `repeats` times with
 * shuffles seeded by (seed, feature, repeat). With `weights` (bootstrap resamples), each drop
 * gets a paired percentile interval.
 */
export function permutationImportance(
  scorer: Scorer,
  version: ModelVersion,
  m: Pick<ModelConfig, 'task' | 'label'>,
  data: HeldOut,
  opts: { repeats: number; seed: number; weights?: Float64Array[]; groups?: { features: string[]; min_correlation: number }[]; onFeature?: (k: number, n: number, feature: string) => void },
): PermutationResult {
  const n = data.eval.length;
  const y = data.labels.y;
  // Multiclass: labels as the version's class indices, as evaluateVersion does.
  const classes = scorer.classes;
  const now = data.labels.classes;
  const labels = m.task === 'multiclass' && classes && now ? Float32Array.from(data.eval, (i) => classes.indexOf(now[y[i]!]!)) : Float32Array.from(data.eval, (i) => y[i]!);
  const metric = version.card.key_metric ?? KEY_METRIC[m.task];
  const measure = (out: Float32Array, weights?: Float64Array): number => {
    const taskData = taskDataOf(m.task, labels, out, scorer.outputsPerRow);
    return (scalarMetrics(weights ? { ...taskData, weights } : taskData) as Record<string, number>)[metric] ?? Number.NaN;
  };
  // The held-out rows as columns once, and each shuffle as a gather of the shuffled columns alone.
  // Scorers that take rows only (imported ONNX) get row objects of the held-out rows' inputs.
  const columns = data.inputs.map((c) => pickRows(c, data.eval));
  const names = scorer.transforms.features.map((f) => f.name);
  const score = (cols: readonly TypedColumn[]) => scoreColumnsOf(scorer, cols, n);
  const baseOut = score(columns);
  const base = measure(baseOut);
  const weights = opts.weights ?? [];
  const baseBoot = weights.map((w) => measure(baseOut, w));
  const shuffle = (shuffled: readonly string[], key: string): { drops: number[]; lo: number; hi: number } => {
    const outs: Float32Array[] = [];
    const drops: number[] = [];
    for (let rep = 0; rep < opts.repeats; rep++) {
      const random = mulberry32(opts.seed ^ fnv1a(`${key}#${rep}`));
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      // One permutation for every column of a group: their joint distribution is kept, their link to the rest broken.
      const out = score(columns.map((col, j) => (shuffled.includes(names[j]!) ? pickRows(col, order) : col)));
      outs.push(out);
      drops.push(dropOf(metric, base, measure(out)));
    }
    const boot = weights.map((w, b) => dropOf(metric, baseBoot[b]!, mean(outs.map((o) => measure(o, w)))));
    const [lo, hi] = weights.length > 0 ? percentileInterval(boot) : [Number.NaN, Number.NaN];
    return { drops, lo, hi };
  };
  const features: Record<string, PermutationImportance> = {};
  const units = scorer.inputs.length + (opts.groups?.length ?? 0);
  scorer.inputs.forEach((f, k) => {
    opts.onFeature?.(k, units, f);
    const { drops, lo, hi } = shuffle([f], f);
    const avg = mean(drops);
    const sd = Math.sqrt(drops.reduce((a, b) => a + (b - avg) ** 2, 0) / (drops.length - 1));
    features[f] = { mean: avg, sd, repeats: drops, ci_low: lo, ci_high: hi };
  });
  const groups = (opts.groups ?? []).map((g, k) => {
    const name = g.features.join(' + ');
    opts.onFeature?.(scorer.inputs.length + k, units, name);
    const { drops, lo, hi } = shuffle(g.features, name);
    return { name, features: g.features, min_correlation: g.min_correlation, importance: mean(drops), ci_low: lo, ci_high: hi };
  });
  return { metric, base, features, groups, measure };
}

function noteFor(f: string, metric: string, p: PermutationImportance, v: { verdict: string; rows_to_decide?: number }, threshold: number, cost: FeatureImportance['cost'], loo?: LeaveOneOut, group?: string): string {
  const n = (x: number) => x.toPrecision(3);
  const costText = [cost.missing > 0 ? `is missing in ${(100 * cost.missing_rate).toFixed(1)}% of training rows` : '', cost.source ? `comes from ${cost.source}` : '', cost.cost !== undefined ? `costs ${cost.cost}` : ''].filter(Boolean).join(', ');
  const looText = loo ? `; retrained without it (${loo.seeds.length} seed${loo.seeds.length === 1 ? '' : 's'}), ${metric} is worse by ${n(loo.drop)} [${n(loo.ci_low)}, ${n(loo.ci_high)}]` : '';
  const head = `Shuffling ${f} worsens ${metric} by ${n(p.mean)} (95% interval ${n(p.ci_low)} to ${n(p.ci_high)})${looText}`;
  const groupText = group ? ` It is correlated with others (${group}): shuffled alone it understates what they carry together; see the group.` : '';
  const costPart = costText ? ` It ${costText}.` : '';
  if (v.verdict === 'worth its cost') return `${head}: the whole interval is above the ${n(threshold)} a feature must clear, so it is worth its cost.${costPart}${groupText}`;
  if (v.verdict === 'not worth its cost') return `${head}: the whole interval is below the ${n(threshold)} a feature must clear, so it is not worth its cost.${costPart}${groupText}`;
  const more = v.rows_to_decide ? ` About ${v.rows_to_decide.toLocaleString('en-US')} held-out rows would decide.` : ' The estimate sits on the threshold; no amount of rows is likely to decide.';
  return `${head}: the interval contains the ${n(threshold)} a feature must clear, so this much data cannot tell whether it is worth its cost.${more}${costPart}${groupText}`;
}
