/**
 * The leakage check: does the held-out score of a model measure what it will do on new data?
 * A strong feature is not evidence of a leak (in medicine a strong measurement is the point), so
 * a feature is an error only on evidence that it is too good to be true: near-perfect on its own
 * and beyond what every other feature reaches together; skill that collapses when the same rows
 * are split by time or by group (it was recognising neighbours, not predicting); or a `known_at`
 * after the label's event. Strong but plausible features are information. Beside the features,
 * the split itself: a random split of data with a time column, the same records on both sides,
 * and groups (authors, patients) on both sides when their rows resemble each other.
 */
import { DuckSession, type TypedColumn } from '../data/duckdb';
import { badInput, cancelled } from '../errors';
import type { ModelConfig, ProjectConfig } from '../project/config';
import { loadScorer } from '../serve/scorer';
import type { ModelVersion } from '../registry/types';
import { loadModelConfig, versionToCheck, splitDescription, yamlLocation } from './context';
import { findDuplicates } from './duplicates';
import { groupStraddle, likelyGroupColumns } from './groups';
import { splitNotes } from '../train/splitData';
import { splitBy, type SplitSpec } from '../train/split';
import { toCategory, toDate } from '../features/apply';
import { designMatrix } from '../train/columnarSplit';
import { loadCheckData, readRawColumns, rowsAt, scoreColumnsOf, transformInputs, type CheckData, type RawColumn } from './datasetColumns';
import { fitTransforms } from '../features/fit';
import { pickRows } from '../features/applyColumns';
import { trainSplitRelation } from '../train/columnarSplit';
import { linearSurrogate, type Surrogate } from './surrogate';
import { DEFAULT_LEAKAGE_THRESHOLDS, type CheckProgress, type GroupReport, type LeakageFinding, type LeakageReport, type LeakageThresholds, type SingleFeatureScore } from './types';
import { chanceLevel, scoreOf, UNIVARIATE_MEASURE, univariateScore, type UnivariateMeasure } from './univariate';

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
  const config = await loadModelConfig(root, model);
  // One session for the whole check: the dataset stays in DuckDB and the checks read it as columns.
  const session = await DuckSession.open({ allowedDirectories: [root] });
  try {
    return await leakageOf(session, root, config, opts);
  } finally {
    session.close();
  }
}

async function leakageOf(session: DuckSession, root: string, { project, m, yaml }: { project: ProjectConfig; m: ModelConfig; yaml: string }, opts: LeakageOptions): Promise<LeakageReport> {
  const t: LeakageThresholds = { ...DEFAULT_LEAKAGE_THRESHOLDS, ...opts.thresholds };
  const say = (fraction: number, phase: string) => {
    if (opts.signal?.aborted) throw cancelled();
    opts.onProgress?.({ fraction, phase });
  };
  const notes: string[] = [];
  const projectFile = project.file;
  const locate = (p: string[]) => yamlLocation(projectFile, yaml, p);
  const featureAt = (f: string) => locate(['models', m.name, 'features', f]);
  const splitAt = () => locate(['models', m.name, 'split']);
  say(0, `Reading ${m.dataset.path.join(', ')}`);
  const data = await loadCheckData(session, project, m, opts.signal);
  // Every column, typed: duplicates compare whole records, and groups and times may be any column.
  const raw = await readRawColumns(
    session,
    data,
    data.columns.map((c) => c.name),
    opts.signal,
  );
  const valueOf = (column: string): ((i: number) => unknown) => {
    const c = raw.get(column);
    return c ? (i) => c.value(i) : () => undefined;
  };
  say(0.15, 'Fitting the transforms on the training split');
  const relation = await trainSplitRelation(session, data.table, data.train);
  const fitted = await fitTransforms(session, m.features, { relation, display: m.dataset.path.join(', '), signal: opts.signal });
  const y = data.labels.y;
  const surrogate = linearSurrogate(
    fitted,
    m.task,
    designMatrix(fitted, data.features, data.train),
    designMatrix(fitted, data.features, data.eval),
    Float64Array.from(data.train, (i) => y[i]!),
    Float64Array.from(data.eval, (i) => y[i]!),
    data.labels.classes?.length ?? 2,
  );
  const classes = data.labels.classes?.length ?? 2;
  const evalY = Float64Array.from(data.eval, (i) => y[i]!);
  const trainY = Float64Array.from(data.train, (i) => y[i]!);
  const featureNames = m.features.map((f) => f.name);
  const measure = UNIVARIATE_MEASURE[m.task];
  const name = MEASURE_NAME[measure];
  const chance = chanceLevel(measure, evalY, trainY);
  const skill = (score: number) => skillOf(score, chance);

  // The same rows split the ways that respect time and groups, to see whose skill survives.
  const kept = [...data.train, ...data.eval].sort((a, b) => a - b);
  const sample = rowsAt(
    raw,
    Array.from({ length: Math.min(200, data.rows) }, (_, i) => i),
  );
  const timeColumn = m.split.kind === 'time' ? undefined : (m.dataset.time_column ?? dateColumn(sample, [m.label, ...featureNames]));
  const altSplit = (spec: SplitSpec) => {
    const value = valueOf(spec.kind === 'random' ? '' : spec.column);
    const valueAt = spec.kind === 'group' ? (k: number) => toCategory(value(kept[k]!)) ?? '' : (k: number) => toDate(value(kept[k]!))?.getTime() ?? Number.NaN;
    const s = splitBy(kept.length, spec, data.seed, valueAt);
    return { train: s.train.map((k) => kept[k]!), eval: s.eval.map((k) => kept[k]!) };
  };
  const fraction = m.split.eval_fraction ?? 0.2;
  const timeSplit = timeColumn ? altSplit({ kind: 'time', column: timeColumn, eval_fraction: fraction }) : undefined;

  say(0.85, 'Looking for groups on both sides of the split');
  const groups: GroupReport[] = [];
  if (m.split.kind === 'group') groups.push(groupStraddle(data, m.split.column, valueOf(m.split.column), 'split'));
  for (const c of opts.groupColumns ?? []) {
    if (!raw.has(c)) throw badInput(projectFile, `models.${m.name}: the ${m.dataset.name} data has no column "${c}" to check as a group`);
    if (!groups.some((g) => g.column === c)) groups.push(groupStraddle(data, c, valueOf(c), 'declared'));
  }
  if (m.split.kind === 'random') {
    const exclude = new Set([m.label, ...groups.map((g) => g.column)]);
    for (const c of likelyGroupColumns(raw, data.rows, exclude)) groups.push(groupStraddle(data, c, valueOf(c), 'likely'));
  }
  const groupSplits = groups.filter((g) => g.why !== 'split' && g.straddling > 0).map((g) => ({ column: g.column, split: altSplit({ kind: 'group', column: g.column, eval_fraction: fraction }) }));

  const knownAt = m.feature_known_at ?? {};
  const eventColumn = m.dataset.time_column;
  for (const [f, c] of Object.entries(knownAt)) {
    const where = `models.${m.name}.features.${f}.known_at`;
    if (!eventColumn) throw badInput(projectFile, `${where}: comparing when ${f} is known with the label's event needs the event time: give datasets.${m.dataset.name}.time_column`);
    if (!raw.has(c)) throw badInput(projectFile, `${where}: the ${m.dataset.name} data has no column "${c}"`);
  }

  say(0.2, 'Scoring each feature on its own, and the rest together');
  const together = surrogate.score(featureNames);
  // Collapse compares lookups with lookups: the linear fit has no counterpart under the other splits.
  const lookup = new Map<string, number>();
  const single: SingleFeatureScore[] = m.features.map((f, k) => {
    say(0.2 + (0.5 * k) / m.features.length, `Scoring ${f.name} on its own`);
    const value = valueOf(f.name);
    const u = univariateScore(f, m.task, value, y, data.train, data.eval, classes);
    const linear = surrogate.score([f.name]);
    const alone = Number.isFinite(linear) && !(linear <= u.score) ? linear : u.score;
    lookup.set(f.name, u.score);
    const s: SingleFeatureScore = { feature: f.name, measure, alone, rest: featureNames.length > 1 ? surrogate.score(featureNames.filter((x) => x !== f.name)) : chance, verdict: 'ok', bins: u.bins };
    if (timeSplit) s.alone_time_split = univariateScore(f, m.task, value, y, timeSplit.train, timeSplit.eval, classes).score;
    if (groupSplits.length > 0) s.alone_group_split = groupSplits.map((g) => ({ column: g.column, score: univariateScore(f, m.task, value, y, g.split.train, g.split.eval, classes).score }));
    const c = knownAt[f.name];
    if (c && eventColumn) {
      let late = 0;
      let of = 0;
      const knownOf = valueOf(c);
      const eventOf = valueOf(eventColumn);
      for (const i of kept) {
        const known = toDate(knownOf(i))?.getTime();
        const event = toDate(eventOf(i))?.getTime();
        if (known === undefined || event === undefined) continue;
        of++;
        if (known > event) late++;
      }
      s.known_after_event = { rows: late, of };
    }
    return s;
  });

  say(0.75, 'Scoring the model on the held-out rows');
  const scored = await modelScore(session, root, opts.version, data, evalY, m, notes, opts.signal);

  say(0.8, 'Looking for rows on both sides of the split');
  const duplicates = findDuplicates(data, raw, featureNames, m.label);

  const findings: LeakageFinding[] = [];
  const add = (f: Omit<LeakageFinding, 'message'>) => findings.push({ ...f, message: `${f.evidence} ${f.alternative} ${f.confirm}` });
  for (const s of single) {
    const f = s.feature;
    const aloneSkill = skill(s.alone);
    const restSkill = skill(s.rest);
    if (aloneSkill >= t.near_perfect_skill && !(restSkill >= aloneSkill)) {
      add({
        kind: 'near_perfect_feature',
        severity: 'error',
        feature: f,
        value: s.alone,
        threshold: scoreAt(measure, t.near_perfect_skill, chance),
        evidence: `${f} alone predicts ${m.label} with ${name} ${fmt(s.alone)} on ${data.eval.length} held-out rows (near-perfect: at or above ${fmt(scoreAt(measure, t.near_perfect_skill, chance))}), more than the other ${featureNames.length - 1} features reach together (${name} ${fmt(s.rest)}, a ridge fit on their transforms).`,
        alternative: `It may be a genuine, deterministic relation (a measurement that defines ${m.label}), but a single input this much better than everything else usually carries the label itself: recorded after or because of the outcome.`,
        confirm: `Find out when and how ${f} is recorded; give it known_at: <the column saying when it is known> and rerun, or retrain without it and compare on data collected after training.`,
        location: featureAt(f),
      });
    }
    const collapses = [...(s.alone_time_split !== undefined && timeColumn ? [{ how: `a time split on ${timeColumn}`, fix: `split: {kind: time, column: ${timeColumn}}`, score: s.alone_time_split }] : []), ...(s.alone_group_split ?? []).map((g) => ({ how: `a split by ${g.column}`, fix: `split: {kind: group, column: ${g.column}}`, score: g.score }))];
    for (const c of collapses) {
      const before = skill(lookup.get(f)!);
      const after = skill(c.score);
      if (!(before >= t.collapse_min_skill) || !(after <= t.collapse_ratio * before)) continue;
      add({
        kind: 'collapses_under_split',
        severity: 'error',
        feature: f,
        value: c.score,
        threshold: scoreAt(measure, t.collapse_ratio * before, chance),
        evidence: `${f} alone (a per-value lookup) reaches ${name} ${fmt(lookup.get(f)!)} under the model's ${m.split.kind} split but only ${fmt(c.score)} under ${c.how} of the same rows (skill ${fmt(before)} → ${fmt(after)}; chance is ${fmt(chance)}).`,
        alternative: `A feature that only works when its neighbours in time or its group are in training may be a real but unstable effect (drift), not a leak.`,
        confirm: `Evaluate the way the model will be used: ${c.fix}; if the model's held-out score falls with it, ${f} was identifying the ${c.how.startsWith('a time') ? 'period' : 'group'}, not predicting ${m.label}.`,
        location: featureAt(f),
      });
    }
    if (s.known_after_event && s.known_after_event.rows > 0) {
      const share = s.known_after_event.rows / s.known_after_event.of;
      add({
        kind: 'known_after_event',
        severity: share >= t.known_after_share ? 'error' : 'warning',
        feature: f,
        value: share,
        threshold: t.known_after_share,
        evidence: `${f} is known (${knownAt[f]}) after the label's event (${eventColumn}) in ${s.known_after_event.rows} of ${s.known_after_event.of} rows (${pct(share)}).`,
        alternative: `The timestamps may be late recordings of a value that existed before the event (a backfill), in which case known_at points at the wrong column.`,
        confirm: `Check how ${knownAt[f]} is filled; if the value really arrives after ${m.label} is decided, drop ${f} or use only what was known at prediction time.`,
        location: featureAt(f),
      });
    }
    const errors = findings.some((x) => x.feature === f && x.severity === 'error');
    if (!errors && aloneSkill >= t.strong_skill) {
      add({
        kind: 'strong_feature',
        severity: 'info',
        feature: f,
        value: s.alone,
        threshold: scoreAt(measure, t.strong_skill, chance),
        evidence: `${f} alone reaches ${name} ${fmt(s.alone)} on the held-out rows; the other features together reach ${fmt(s.rest)}, and all together ${fmt(together)}.`,
        alternative: `Strong predictors are often the point (a measurement the outcome depends on); nothing here says ${f} is known too late${s.alone_time_split !== undefined || s.alone_group_split ? ', and its skill holds under the time or group split' : ''}.`,
        confirm: `If you know when ${f} is recorded, say so with known_at and the check compares it with the label's event.`,
        location: featureAt(f),
      });
    }
    s.verdict = errors ? 'leak' : aloneSkill >= t.strong_skill ? 'strong' : 'ok';
  }

  if (timeColumn && m.split.kind === 'random') {
    add({
      kind: 'random_split_with_time',
      severity: 'warning',
      feature: timeColumn,
      value: 0,
      threshold: 0,
      evidence: `The data has a time column (${timeColumn}) but the split is random: held-out rows sit between training rows in time, so the model is scored on a past and future it has seen.`,
      alternative: `If the relation never changes over time, a random split measures the same thing as a time split.`,
      confirm: `Use split: {kind: time, column: ${timeColumn}} and compare the held-out scores.`,
      location: splitAt() ?? locate(['models', m.name]),
    });
  }
  const evalRows = data.eval.length;
  const dupShare = duplicates.eval_rows / evalRows;
  if (duplicates.other_columns.length > 0 && duplicates.whole_record_eval_rows > 0) {
    add({
      kind: 'duplicates',
      severity: 'error',
      value: duplicates.whole_record_eval_rows,
      threshold: 0,
      evidence: `${duplicates.whole_record_eval_rows} of ${evalRows} held-out rows (${pct(duplicates.whole_record_eval_rows / evalRows)}) are copies of training rows, equal in every column: the held-out score partly measures memory.`,
      alternative: `Two distinct records can agree in every column only if the data has no identifying column; here it has ${duplicates.other_columns.join(', ')}.`,
      confirm: `Remove duplicate records before splitting (see the example lines) and compare the held-out score.`,
      location: splitAt() ?? locate(['models', m.name]),
      examples: duplicates.examples,
    });
  } else if (duplicates.other_columns.length === 0 && dupShare >= t.duplicate_fraction) {
    add({
      kind: 'duplicates',
      severity: 'warning',
      value: dupShare,
      threshold: t.duplicate_fraction,
      evidence: `${duplicates.eval_rows} of ${evalRows} held-out rows (${pct(dupShare)}, at or above ${pct(t.duplicate_fraction)}) share every feature value and the label with a training row.`,
      alternative: `The data has no other column (an id, a date) to tell copied records from coincidences of a coarse feature space.`,
      confirm: `Check the example lines for copies; deduplicate before splitting if they are.`,
      location: splitAt() ?? locate(['models', m.name]),
      examples: duplicates.examples,
    });
  }
  if (duplicates.eval_rows > 0 && !findings.some((f) => f.kind === 'duplicates')) {
    notes.push(`${duplicates.eval_rows} held-out rows share every feature value and the label with a training row, but none is the same record (they differ in ${duplicates.other_columns.join(', ')}): coincidences of a coarse feature space, not copies.`);
  }
  for (const g of groups) {
    if (g.straddling === 0) continue;
    const inFeatures = featureNames.includes(g.column);
    const ex = g.examples.map((e) => `${e.group}: ${e.train} train / ${e.eval} held out`).join('; ');
    add({
      kind: 'straddling_groups',
      severity: g.why === 'likely' ? 'warning' : 'error',
      feature: g.column,
      value: g.straddling,
      threshold: 0,
      evidence:
        g.why === 'split'
          ? `The group split on ${g.column} put ${g.straddling} of ${g.groups} groups on both sides (${ex}); a group split must never do that.`
          : `${g.why === 'likely' ? `${g.column} looks like a group column (an id that repeats). ` : ''}${g.straddling} of ${g.groups} values of ${g.column} have rows on both sides of the ${m.split.kind} split (${g.eval_rows_in_straddling} held-out rows; e.g. ${ex}).`,
      alternative: `If rows of one ${g.column} do not resemble each other beyond what the features say, straddling does no harm.`,
      confirm: `Split by group (split: {kind: group, column: ${g.column}}) and compare the held-out scores; the per-feature scores under that split are in the report.`,
      location: inFeatures ? featureAt(g.column) : (splitAt() ?? locate(['models', m.name])),
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
    together,
    ...(timeColumn ? { time_column: timeColumn } : {}),
    single_feature: single,
    duplicates,
    groups,
    findings,
    leak: findings.some((f) => f.severity === 'error'),
    thresholds: t,
    notes,
  };
}

/** The score a skill corresponds to: chance + skill · (1 − chance). */
function scoreAt(measure: UnivariateMeasure, skill: number, chance: number): number {
  return measure === 'r2' ? skill : chance + skill * (1 - chance);
}

/** A column of dates that is neither a feature nor the label (a time the dataset did not declare). */
function dateColumn(rows: readonly Record<string, unknown>[], exclude: readonly string[]): string | undefined {
  const sample = rows.slice(0, 200);
  return Object.keys(rows[0] ?? {}).find((c) => {
    if (exclude.includes(c)) return false;
    const values = sample.map((r) => r[c]).filter((v) => v !== null && v !== undefined && v !== '');
    return values.length > 0 && values.every((v) => v instanceof Date || (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)));
  });
}

/** (score − chance) / (1 − chance), so R², AUC and accuracy read alike: 0 knows nothing, 1 is perfect. */
export function skillOf(score: number, chance: number): number {
  if (!Number.isFinite(score) || !Number.isFinite(chance)) return Number.NaN;
  return chance >= 1 ? 0 : (score - chance) / (1 - chance);
}

/** The version's score on the held-out rows in the single-feature measure; undefined when there is no version to score. */
async function modelScore(
  session: DuckSession,
  root: string,
  ref: number | string | undefined,
  data: CheckData,
  evalY: Float64Array,
  m: ModelConfig,
  notes: string[],
  signal?: AbortSignal,
): Promise<{ version: number; score: { measure: UnivariateMeasure; score: number } } | undefined> {
  const model = m.name;
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
    const absent = scorer.inputs.filter((c) => !data.columns.some((x) => x.name === c));
    if (absent.length > 0) {
      notes.push(`${model}:${version.version} reads ${absent.join(', ')}, which the dataset no longer has: not compared with the whole model.`);
      return undefined;
    }
    const inputs: TypedColumn[] = await transformInputs(session, data, m, scorer.transforms, signal);
    const out = scoreColumnsOf(
      scorer,
      inputs.map((c) => pickRows(c, data.eval)),
      data.eval.length,
    );
    const task = m.task;
    const measure: UnivariateMeasure = task === 'regression' ? 'r2' : task === 'binary' ? 'auc' : 'accuracy';
    const k = scorer.outputsPerRow;
    let pred: ArrayLike<number> = out;
    if (task === 'multiclass') {
      // The version's class order may differ from the classes seen now: compare by name.
      const now = data.labels.classes ?? [];
      const names = scorer.classes ?? [];
      pred = Float64Array.from(data.eval, (_, r) => {
        let best = 0;
        for (let j = 1; j < k; j++) if (out[r * k + j]! > out[r * k + best]!) best = j;
        return now.indexOf(names[best] ?? '');
      });
    }
    const score = scoreOf(measure, evalY, pred);
    notes.push(...splitNotes(m, data, version));
    return { version: version.version, score: { measure, score } };
  } finally {
    scorer.dispose();
  }
}
