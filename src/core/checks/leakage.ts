/**
 * The leakage check: does the held-out score of a model measure what it will do on new data?
 * Three ways it may not, from the seed course: a feature that carries the label itself (the
 * hospital that only treats severe cases), the same rows on both sides of the split, and groups
 * (authors, patients) on both sides when their rows resemble each other.
 */
import { DuckSession } from '../data/duckdb';
import { badInput, cancelled } from '../errors';
import type { ModelConfig } from '../project/config';
import { loadScorer } from '../serve/scorer';
import type { ModelVersion } from '../registry/types';
import { loadModelConfig, versionToCheck, splitDescription, yamlLocation } from './context';
import { findDuplicates } from './duplicates';
import { groupStraddle, likelyGroupColumns } from './groups';
import { loadSplit, splitNotes, type SplitData } from '../train/splitData';
import { DEFAULT_LEAKAGE_THRESHOLDS, type CheckProgress, type GroupReport, type LeakageFinding, type LeakageReport, type LeakageThresholds, type SingleFeatureScore } from './types';
import { chanceLevel, scoreOf, univariateScore, type UnivariateMeasure } from './univariate';

export interface LeakageOptions {
  /** The version whose score single features are compared with (default: the served one, else the newest; none is fine). */
  version?: number | string;
  /** Columns whose rows belong together (authors, patients), checked for straddling whatever the split. */
  groupColumns?: string[];
  thresholds?: Partial<LeakageThresholds>;
  signal?: AbortSignal;
  onProgress?: (p: CheckProgress) => void;
}

const MEASURE_NAME: Record<UnivariateMeasure, string> = { r2: 'R²', auc: 'ROC AUC', accuracy: 'accuracy' };
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'undefined');
const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

export async function leakageCheck(root: string, model: string | undefined, opts: LeakageOptions = {}): Promise<LeakageReport> {
  const { project, m, yaml } = await loadModelConfig(root, model);
  const t: LeakageThresholds = { ...DEFAULT_LEAKAGE_THRESHOLDS, ...opts.thresholds };
  const say = (fraction: number, phase: string) => {
    if (opts.signal?.aborted) throw cancelled();
    opts.onProgress?.({ fraction, phase });
  };
  const locate = (p: string[]) => yamlLocation(project.file, yaml, p);
  const featureAt = (f: string) => locate(['models', m.name, 'features', f]);
  const notes: string[] = [];

  const session = await DuckSession.open({ allowedDirectories: [root] });
  let data: SplitData;
  try {
    say(0, `Reading ${m.dataset.path.join(', ')}`);
    data = await loadSplit(session, project, m, opts.signal);
  } finally {
    session.close();
  }
  const classes = data.classes?.length ?? 2;
  const evalY = Float64Array.from(data.eval, (i) => data.y[i]!);
  const trainY = Float64Array.from(data.train, (i) => data.y[i]!);

  say(0.2, 'Scoring each feature on its own');
  const single: SingleFeatureScore[] = m.features.map((f) => {
    const u = univariateScore(f, m.task, data.rows, data.y, data.train, data.eval, classes);
    const chance = chanceLevel(u.measure, evalY, trainY);
    return { feature: f.name, measure: u.measure, score: u.score, skill: skillOf(u.score, chance), bins: u.bins };
  });

  say(0.5, 'Scoring the model on the held-out rows');
  const scored = await modelScore(root, m.name, opts.version, data, evalY, trainY, m, notes);
  if (scored) for (const s of single) if (scored.score.skill > 0 && Number.isFinite(s.skill)) s.share_of_model = s.skill / scored.score.skill;

  say(0.7, 'Looking for rows on both sides of the split');
  const featureNames = m.features.map((f) => f.name);
  const duplicates = findDuplicates(data, featureNames, m.label);

  say(0.85, 'Looking for groups on both sides of the split');
  const groups: GroupReport[] = [];
  if (m.split.kind === 'group') groups.push(groupStraddle(data, m.split.column, 'split'));
  for (const c of opts.groupColumns ?? []) {
    if (!(c in (data.rows[0] ?? {}))) throw badInput(project.file, `models.${m.name}: the ${m.dataset.name} data has no column "${c}" to check as a group`);
    if (!groups.some((g) => g.column === c)) groups.push(groupStraddle(data, c, 'declared'));
  }
  if (m.split.kind === 'random') {
    const exclude = new Set([m.label, ...groups.map((g) => g.column)]);
    for (const c of likelyGroupColumns(data.rows, exclude)) groups.push(groupStraddle(data, c, 'likely'));
  }

  const findings: LeakageFinding[] = [];
  for (const s of single) {
    const name = MEASURE_NAME[s.measure];
    if (s.skill >= t.single_feature_skill) {
      findings.push({
        kind: 'single_feature_power',
        severity: 'error',
        feature: s.feature,
        value: s.skill,
        threshold: t.single_feature_skill,
        message: `${s.feature} alone predicts ${m.label} with ${name} ${fmt(s.score)} on the held-out rows (skill ${fmt(s.skill)}, at or above ${t.single_feature_skill}): a single feature this good usually carries the label itself, recorded after or because of the outcome (like a hospital that only treats severe cases); check when and how ${s.feature} is known.`,
        location: featureAt(s.feature),
      });
    } else if (s.share_of_model !== undefined && s.share_of_model >= t.share_of_model && s.skill >= t.dominant_min_skill && scored) {
      findings.push({
        kind: 'dominant_feature',
        severity: 'warning',
        feature: s.feature,
        value: s.share_of_model,
        threshold: t.share_of_model,
        message: `${s.feature} alone reaches ${name} ${fmt(s.score)}, ${pct(s.share_of_model)} of the skill of the whole model ${m.name}:${scored.version} (${name} ${fmt(scored.score.score)}): the other features add little, so make sure ${s.feature} is known at prediction time.`,
        location: featureAt(s.feature),
      });
    }
  }
  const evalRows = data.eval.length;
  const dupShare = duplicates.eval_rows / evalRows;
  if (duplicates.other_columns.length > 0 && duplicates.whole_record_eval_rows > 0) {
    findings.push({
      kind: 'duplicates',
      severity: 'error',
      value: duplicates.whole_record_eval_rows,
      threshold: 0,
      message: `${duplicates.whole_record_eval_rows} of ${evalRows} held-out rows (${pct(duplicates.whole_record_eval_rows / evalRows)}) are copies of training rows, equal in every column: the held-out score partly measures memory; remove duplicate records before splitting.`,
      location: locate(['models', m.name, 'split']),
      examples: duplicates.examples,
    });
  } else if (duplicates.other_columns.length === 0 && dupShare >= t.duplicate_fraction) {
    findings.push({
      kind: 'duplicates',
      severity: 'warning',
      value: dupShare,
      threshold: t.duplicate_fraction,
      message: `${duplicates.eval_rows} of ${evalRows} held-out rows (${pct(dupShare)}, at or above ${pct(t.duplicate_fraction)}) share every feature value and the label with a training row; the data has no other column (an id, a date) to tell copied records from coincidences, so check for copies.`,
      location: locate(['models', m.name, 'split']),
      examples: duplicates.examples,
    });
  }
  if (duplicates.eval_rows > 0 && !findings.some((f) => f.kind === 'duplicates')) {
    notes.push(`${duplicates.eval_rows} held-out rows share every feature value and the label with a training row, but none is the same record (they differ in ${duplicates.other_columns.join(', ')}): coincidences of a coarse feature space, not copies.`);
  }
  for (const g of groups) {
    if (g.straddling === 0) continue;
    const inFeatures = featureNames.includes(g.column);
    const where = inFeatures ? featureAt(g.column) : locate(['models', m.name, 'split']);
    const ex = g.examples.map((e) => `${e.group}: ${e.train} train / ${e.eval} held out`).join('; ');
    const message =
      g.why === 'split'
        ? `The group split on ${g.column} put ${g.straddling} of ${g.groups} groups on both sides (${ex}); a group split must never do that.`
        : `${g.straddling} of ${g.groups} values of ${g.column} have rows on both sides of the ${m.split.kind} split (${g.eval_rows_in_straddling} held-out rows; e.g. ${ex}): if rows of one ${g.column} resemble each other, the model is scored on groups it has seen; split by group (split: {kind: group, column: ${g.column}}).`;
    findings.push({
      kind: 'straddling_groups',
      severity: g.why === 'likely' ? 'warning' : 'error',
      feature: g.column,
      value: g.straddling,
      threshold: 0,
      message: g.why === 'likely' ? `${g.column} looks like a group column (an id that repeats). ${message}` : message,
      location: where,
      examples: g.examples,
    });
  }
  say(1, 'Done');
  return {
    model: m.name,
    data: m.dataset.path.join(', '),
    split: splitDescription(m, data.seed),
    rows: { train: data.train.length, eval: evalRows },
    ...(scored ? { version: scored.version, model_score: scored.score } : {}),
    single_feature: single,
    duplicates,
    groups,
    findings,
    leak: findings.some((f) => f.severity === 'error'),
    thresholds: t,
    notes,
  };
}

/** (score − chance) / (1 − chance), so R², AUC and accuracy read alike: 0 knows nothing, 1 is perfect. */
export function skillOf(score: number, chance: number): number {
  if (!Number.isFinite(score) || !Number.isFinite(chance)) return Number.NaN;
  return chance >= 1 ? 0 : (score - chance) / (1 - chance);
}

/** The version's score on the held-out rows in the single-feature measure; undefined when there is no version to score. */
async function modelScore(
  root: string,
  model: string,
  ref: number | string | undefined,
  data: SplitData,
  evalY: Float64Array,
  trainY: Float64Array,
  m: ModelConfig,
  notes: string[],
): Promise<{ version: number; score: { measure: UnivariateMeasure; score: number; skill: number } } | undefined> {
  let version: ModelVersion;
  try {
    const r = await versionToCheck(root, model, ref);
    version = r.version;
    if (r.note) notes.push(r.note);
  } catch (e) {
    if (ref !== undefined) throw e;
    notes.push(`No registered version of ${model}: single features are judged on their own, not against the whole model.`);
    return undefined;
  }
  const scorer = await loadScorer(version);
  try {
    const absent = scorer.inputs.filter((c) => !(c in (data.rows[0] ?? {})));
    if (absent.length > 0) {
      notes.push(`${model}:${version.version} reads ${absent.join(', ')}, which the dataset no longer has: not compared with the whole model.`);
      return undefined;
    }
    const out = scorer.score(data.eval.map((i) => data.rows[i]!));
    const task = m.task;
    const measure: UnivariateMeasure = task === 'regression' ? 'r2' : task === 'binary' ? 'auc' : 'accuracy';
    const k = scorer.outputsPerRow;
    let pred: ArrayLike<number> = out;
    if (task === 'multiclass') {
      // The version's class order may differ from the classes seen now: compare by name.
      const now = data.classes ?? [];
      const names = scorer.classes ?? [];
      pred = Float64Array.from(data.eval, (_, r) => {
        let best = 0;
        for (let j = 1; j < k; j++) if (out[r * k + j]! > out[r * k + best]!) best = j;
        return now.indexOf(names[best] ?? '');
      });
    }
    const score = scoreOf(measure, evalY, pred);
    notes.push(...splitNotes(m, data, version));
    return { version: version.version, score: { measure, score, skill: skillOf(score, chanceLevel(measure, evalY, trainY)) } };
  } finally {
    scorer.dispose();
  }
}
