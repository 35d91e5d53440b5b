/**
 * What each feature is worth against what it costs. Value: permutation importance of a
 * registered version on its held-out rows (shuffle one raw input column, re-transform, re-score
 * through the Scorer, k seeded repeats; the drop of the key metric) and, when asked, leave-one-out
 * retraining. Cost: how often the feature is missing in training, where it comes from, and the
 * cost prodml.yaml gives it. A feature whose value is within noise of zero while it costs
 * something is a dependency the model does not need.
 */
import { DuckSession } from '../data/duckdb';
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
import { featureCosts, hasCost } from './costs';
import { retrainWithout, stageTrainSplit } from './leaveOneOut';
import { loadSplit, splitNotes, type SplitData } from '../train/splitData';
import type { CheckProgress, FeatureImportance, ImportanceReport } from './types';

export interface ImportanceOptions {
  /** A version number, `latest` or an alias (default: the served version, else the newest). */
  version?: number | string;
  /** Shuffles per feature (default 5). */
  repeats?: number;
  /** Seed of the shuffles (default the model's training seed). */
  seed?: number;
  /** Also retrain without each feature (slow: one training run per feature, plus one with all). */
  leaveOneOut?: boolean;
  /** Drops below this share of |metric| count as noise whatever their spread (default 0.005). */
  minImportance?: number;
  backend?: BackendName;
  signal?: AbortSignal;
  onProgress?: (p: CheckProgress) => void;
}

const KEY_METRIC: Record<Task, string> = { regression: 'rmse', binary: 'auc', multiclass: 'accuracy' };
const DEFAULT_REPEATS = 5;
const DEFAULT_MIN_IMPORTANCE = 0.005;

export async function featureImportance(root: string, model: string | undefined, opts: ImportanceOptions = {}): Promise<ImportanceReport> {
  const { project, m, yaml } = await loadModelConfig(root, model);
  const repeats = opts.repeats ?? DEFAULT_REPEATS;
  if (!Number.isInteger(repeats) || repeats < 2) throw badInput(undefined, `repeats must be a whole number of at least 2 (got ${repeats}): the spread needs two shuffles`);
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
    const data = await loadSplit(session, project, m, opts.signal);
    notes.push(...splitNotes(m, data, version));
    const scorer = await loadScorer(version);
    let perm: ReturnType<typeof permutationImportance>;
    try {
      const absent = scorer.inputs.filter((c) => !(c in (data.rows[0] ?? {})));
      if (absent.length > 0) throw badInput(project.file, `models.${m.name}: the ${m.dataset.name} data has no column ${absent.map((c) => `"${c}"`).join(', ')}, which ${m.name}:${version.version} reads`);
      perm = permutationImportance(scorer, version, m, data, { repeats, seed, onFeature: (k, n, f) => say(0.1 + (permShare - 0.1) * (k / n), `Shuffling ${f} (${k + 1} of ${n})`) });
    } finally {
      scorer.dispose();
    }
    const costs = featureCosts(m, data, scorer.inputs);
    let loo: ImportanceReport['leave_one_out'];
    const looDrop: Record<string, { metric: number; drop: number }> = {};
    if (opts.leaveOneOut) {
      const relation = await stageTrainSplit(session, data, opts.signal);
      const runs = [undefined, ...m.features.map((f) => f.name)];
      const retrain = (without: string | undefined, k: number) => {
        const at = (e: number, n: number) => permShare + (1 - permShare) * ((k + e / n) / runs.length);
        say(at(0, 1), without ? `Retraining without ${without} (${k} of ${runs.length - 1})` : 'Retraining with every feature');
        return retrainWithout(session, m, data, relation, without, { backend: opts.backend, signal: opts.signal, onEpoch: (e, n) => say(at(e, n), without ? `Retraining without ${without}: epoch ${e} of ${n}` : `Retraining with every feature: epoch ${e} of ${n}`) });
      };
      const fullRun = await retrain(undefined, 0);
      loo = { full: fullRun.metrics[perm.metric] ?? Number.NaN, backend: fullRun.backend, epochs: fullRun.epochs };
      for (let k = 1; k < runs.length; k++) {
        const f = runs[k]!;
        const r = await retrain(f, k);
        const metric = r.metrics[perm.metric] ?? Number.NaN;
        looDrop[f] = { metric, drop: dropOf(perm.metric, loo.full, metric) };
      }
    }
    const minImportance = (opts.minImportance ?? DEFAULT_MIN_IMPORTANCE) * Math.abs(perm.base);
    const features: FeatureImportance[] = scorer.inputs.map((f) => {
      const p = perm.features[f]!;
      const within = p.mean <= Math.max(2 * p.sd, minImportance);
      const cost = costs[f]!;
      const notWorth = within && hasCost(cost);
      const l = looDrop[f];
      return {
        feature: f,
        permutation: p,
        ...(l ? { leave_one_out: l } : {}),
        cost,
        within_noise: within,
        not_worth_it: notWorth,
        note: noteFor(f, perm.metric, p, within, notWorth, cost, l),
        ...withLocation(yamlLocation(project.file, yaml, ['models', m.name, 'features', f])),
      };
    });
    features.sort((a, b) => b.permutation.mean - a.permutation.mean || (a.feature < b.feature ? -1 : 1));
    say(1, 'Done');
    return {
      model: m.name,
      version: version.version,
      metric: perm.metric,
      direction: metricDirection(perm.metric),
      base: perm.base,
      rows: data.eval.length,
      data: `the held-out split of ${m.dataset.path.join(', ')} (${splitDescription(m, data.seed)})`,
      repeats,
      seed,
      min_importance: minImportance,
      features,
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

/** How much worse `after` is than `before`, in the metric's direction: positive means worse. */
export function dropOf(metric: string, before: number, after: number): number {
  const d = metricDirection(metric);
  return d === 'lower' ? after - before : d === 'zero' ? Math.abs(after) - Math.abs(before) : before - after;
}

/**
 * The permutation part on its own: each input column shuffled across the held-out rows (the
 * other columns kept), scored, `repeats` times with shuffles seeded by (seed, feature, repeat).
 */
export function permutationImportance(
  scorer: Scorer,
  version: ModelVersion,
  m: Pick<ModelConfig, 'task' | 'label'>,
  data: Pick<SplitData, 'rows' | 'y' | 'eval' | 'classes'>,
  opts: { repeats: number; seed: number; onFeature?: (k: number, n: number, feature: string) => void },
): { metric: string; base: number; features: Record<string, { mean: number; sd: number; repeats: number[] }> } {
  const rows = data.eval.map((i) => data.rows[i]!);
  // Multiclass: labels as the version's class indices, as evaluateVersion does.
  const classes = scorer.classes;
  const labels = m.task === 'multiclass' && classes && data.classes ? Float32Array.from(data.eval, (i) => classes.indexOf(data.classes![data.y[i]!]!)) : Float32Array.from(data.eval, (i) => data.y[i]!);
  const metric = version.card.key_metric ?? KEY_METRIC[m.task];
  const measure = (out: Float32Array): number => {
    const k = scorer.outputsPerRow;
    const taskData = taskDataOf(m.task, labels, out, k);
    return (scalarMetrics(taskData) as Record<string, number>)[metric] ?? Number.NaN;
  };
  const base = measure(scorer.score(rows));
  const features: Record<string, { mean: number; sd: number; repeats: number[] }> = {};
  scorer.inputs.forEach((f, k) => {
    opts.onFeature?.(k, scorer.inputs.length, f);
    const column = rows.map((r) => r[f]);
    const drops: number[] = [];
    for (let rep = 0; rep < opts.repeats; rep++) {
      const random = mulberry32(opts.seed ^ fnv1a(`${f}#${rep}`));
      const shuffled = column.slice();
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = shuffled[i];
        shuffled[i] = shuffled[j];
        shuffled[j] = t;
      }
      const permuted = rows.map((r, i) => ({ ...r, [f]: shuffled[i] }));
      drops.push(dropOf(metric, base, measure(scorer.score(permuted))));
    }
    const mean = drops.reduce((a, b) => a + b, 0) / drops.length;
    const sd = Math.sqrt(drops.reduce((a, b) => a + (b - mean) ** 2, 0) / (drops.length - 1));
    features[f] = { mean, sd, repeats: drops };
  });
  return { metric, base, features };
}

function noteFor(f: string, metric: string, p: { mean: number; sd: number }, within: boolean, notWorth: boolean, cost: FeatureImportance['cost'], loo?: { drop: number }): string {
  const n = (x: number) => x.toPrecision(3);
  const costText = [cost.missing > 0 ? `is missing in ${(100 * cost.missing_rate).toFixed(1)}% of training rows` : '', cost.source ? `comes from ${cost.source}` : '', cost.cost !== undefined ? `costs ${cost.cost}` : ''].filter(Boolean).join(', ');
  const looText = loo ? `; retrained without it, ${metric} is ${loo.drop >= 0 ? 'worse' : 'better'} by ${n(Math.abs(loo.drop))}` : '';
  if (notWorth) return `Shuffling ${f} changes ${metric} by ${n(p.mean)} ± ${n(p.sd)}, within noise of zero, yet it ${costText}${looText}: a dependency the model does not need.`;
  if (within) return `Shuffling ${f} changes ${metric} by ${n(p.mean)} ± ${n(p.sd)}, within noise of zero${looText}.`;
  return `Shuffling ${f} worsens ${metric} by ${n(p.mean)} ± ${n(p.sd)}${looText}${costText ? `; it ${costText}` : ''}.`;
}
