/**
 * Label consistency (data-centric AI): rows the model cannot tell apart, because they are equal
 * after its transforms, yet carry different labels. Such a group caps what any model of these
 * inputs can reach, and is often a labelling error. Also: near-duplicates (equal once every
 * transformed value is rounded to a tolerance grid) with conflicting labels, and an estimate of
 * label noise from how often identical inputs disagree.
 *
 * What it cannot tell: which label of a conflicting group is right; and whether the rows differ in
 * something the model does not see (then the conflict is a missing feature, not label noise). The
 * noise estimate assumes the label is a function of these inputs, so it is an upper bound.
 */
import fs from 'node:fs/promises';
import { DuckSession, type Row } from '../data/duckdb';
import { badInput, cancelled } from '../errors';
import { fitTransforms } from '../features/fit';
import type { FittedTransforms } from '../features/spec';
import type { ModelConfig, ProjectConfig } from '../project/config';
import { designMatrix, trainSplitRelation } from '../train/columnarSplit';
import { rowLocation } from '../train/splitData';
import { loadCheckData, transformInputs } from './datasetColumns';
import { loadModelConfig, versionToCheck } from './context';
import { groupRows, mixHashes, numberHash, sameNumber } from './rowClasses';
import type { CheckProgress } from './types';

export interface LabelConflict {
  /** Where each row of the group sits (file and 1-based line for text formats), in file order. */
  lines: { file: string; line?: number }[];
  /** The label of each row, in the same order. */
  labels: string[];
  /** Rows per distinct label. */
  counts: Record<string, number>;
  /** The group's raw feature values (of its first row). */
  values: Record<string, unknown>;
}

export interface LabelReport {
  model: string;
  data: string;
  /** Where the transforms came from: a registered version, or fitted now on the training split. */
  transforms: string;
  /** Rows checked (every row with a label). */
  rows_checked: number;
  /** Input groups (identical after the transforms) with more than one label. */
  groups: number;
  /** Rows in those groups. */
  rows: number;
  conflicts: LabelConflict[];
  near_duplicates: {
    /** Each transformed value rounded to this grid. */
    tolerance: number;
    /** Groups with conflicting labels among near-duplicates that are not already an identical group. */
    groups: number;
    rows: number;
    conflicts: LabelConflict[];
  };
  /** From identical inputs with more than one row. */
  noise: {
    /** Rows in groups of two or more identical inputs. */
    duplicated_rows: number;
    /** Classification: pairs of identical inputs, and the share whose labels differ. */
    pairs?: number;
    disagreement?: number;
    /** Binary: the flip rate ε with 2ε(1−ε) = disagreement (symmetric noise on a deterministic label); multiclass: disagreement/2 as a lower bound. */
    label_noise?: number;
    /** Regression: pooled standard deviation of the label within identical inputs. */
    within_sd?: number;
    /** What the estimate assumes. */
    note: string;
  };
  /** Regression: a label further than this from its group's median conflicts (default: 4 × the within-group sd). */
  label_tolerance?: number;
  notes: string[];
}

export interface LabelOptions {
  version?: number | string;
  /** Near-duplicate grid in transformed units (a standardized feature: standard deviations). Default 0.05. */
  tolerance?: number;
  /** Regression: labels further apart than this within a group conflict. */
  labelTolerance?: number;
  signal?: AbortSignal;
  onProgress?: (p: CheckProgress) => void;
}

const MAX_LINES = 100;

export async function labelConsistency(root: string, model: string | undefined, opts: LabelOptions = {}): Promise<LabelReport> {
  const { project, m } = await loadModelConfig(root, model);
  const tolerance = opts.tolerance ?? 0.05;
  if (!(tolerance > 0)) throw badInput(undefined, `--tolerance must be a positive number (got ${opts.tolerance})`);
  // One session for the whole check: the dataset stays in DuckDB, read as columns, and the rows a
  // conflict shows are read back from it alone.
  const session = await DuckSession.open({ allowedDirectories: [root] });
  try {
    return await labelsOf(session, root, project, m, tolerance, opts);
  } finally {
    session.close();
  }
}

async function labelsOf(session: DuckSession, root: string, project: ProjectConfig, m: ModelConfig, tolerance: number, opts: LabelOptions): Promise<LabelReport> {
  const say = (fraction: number, phase: string) => {
    if (opts.signal?.aborted) throw cancelled();
    opts.onProgress?.({ fraction, phase });
  };
  const notes: string[] = [];
  let fitted: FittedTransforms;
  let source: string;
  say(0, `Reading ${m.dataset.path.join(', ')}`);
  const data = await loadCheckData(session, project, m, opts.signal);
  let version;
  try {
    version = (await versionToCheck(root, m.name, opts.version)).version;
  } catch (e) {
    if (opts.version !== undefined) throw e;
  }
  if (version && version.card.task === m.task && version.card.label === m.label) {
    fitted = JSON.parse(await fs.readFile(version.files['transform.json'], 'utf8')) as FittedTransforms;
    source = `${m.name}:${version.version}'s transform.json`;
  } else {
    say(0.2, 'Fitting the transforms on the training split');
    fitted = await fitTransforms(session, m.features, { relation: await trainSplitRelation(session, data.table, data.train), display: m.dataset.path.join(', '), signal: opts.signal });
    source = 'fitted now on the training split (no registered version)';
  }
  say(0.5, 'Grouping identical inputs');
  const idx = [...data.train, ...data.eval].sort((a, b) => a - b);
  const x = designMatrix(fitted, await transformInputs(session, data, m, fitted, opts.signal), idx);
  const w = fitted.width;
  const y = (k: number) => data.labels.y[idx[k]!]!;
  const classes = data.labels.classes;
  const labelText = (k: number) => (classes ? classes[y(k)]! : String(data.label[idx[k]!]));
  // Rows grouped by their transformed values (every value equal; -0 is 0), or by those values
  // rounded to the tolerance grid: classes of equal rows, no text key per row.
  const groupBy = (value: (v: number) => number) =>
    groupRows(
      idx.length,
      (k) => mixHashes(w, (c) => numberHash(value(x[k * w + c]!))),
      (a, b) => {
        for (let c = 0; c < w; c++) if (!sameNumber(value(x[a * w + c]!), value(x[b * w + c]!))) return false;
        return true;
      },
    );
  const exactOf = groupBy((v) => v);
  const exact = exactOf.groups;

  // Noise from identical inputs.
  const noise: LabelReport['noise'] = { duplicated_rows: exact.reduce((a, g) => a + g.length, 0), note: '' };
  let labelTolerance: number | undefined;
  if (m.task === 'regression') {
    let ss = 0;
    let dof = 0;
    for (const g of exact) {
      const mean = g.reduce((a, k) => a + y(k), 0) / g.length;
      ss += g.reduce((a, k) => a + (y(k) - mean) ** 2, 0);
      dof += g.length - 1;
    }
    noise.within_sd = dof > 0 ? Math.sqrt(ss / dof) : Number.NaN;
    noise.note = 'The spread of the label among rows the model cannot tell apart: label noise plus everything the features do not capture (an upper bound on label noise).';
    labelTolerance = opts.labelTolerance ?? (Number.isFinite(noise.within_sd) ? 4 * noise.within_sd : Number.POSITIVE_INFINITY);
  } else {
    let pairs = 0;
    let differ = 0;
    for (const g of exact) {
      const counts = new Map<number, number>();
      for (const k of g) counts.set(y(k), (counts.get(y(k)) ?? 0) + 1);
      const n = g.length;
      const same = [...counts.values()].reduce((a, c) => a + (c * (c - 1)) / 2, 0);
      pairs += (n * (n - 1)) / 2;
      differ += (n * (n - 1)) / 2 - same;
    }
    noise.pairs = pairs;
    if (pairs > 0) {
      const p = differ / pairs;
      noise.disagreement = p;
      noise.label_noise = m.task === 'binary' ? (p < 0.5 ? (1 - Math.sqrt(1 - 2 * p)) / 2 : 0.5) : p / 2;
    }
    noise.note =
      m.task === 'binary'
        ? 'If the label were a function of these inputs and each label flipped with probability ε, two identical inputs would disagree with probability 2ε(1−ε); inputs the model does not see also make them disagree, so ε is an upper bound.'
        : 'Two identical inputs disagree when either label is wrong: half the disagreement is a lower bound on the error rate, if the label is a function of these inputs.';
  }
  // Regression: a group conflicts when a label lies further than the tolerance from the group's
  // median (the range would grow with the group's size, a distance from the median does not).
  const conflicting = (g: number[]) => {
    if (m.task !== 'regression') return new Set(g.map(y)).size > 1;
    const sorted = g.map(y).sort((a, b) => a - b);
    const mid = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    return Math.max(mid - sorted[0]!, sorted[sorted.length - 1]! - mid) > labelTolerance!;
  };
  // The raw values a conflict shows: its first row's, read back from DuckDB for those rows alone.
  let shown = new Map<number, Row>();
  const describe = (g: number[]): LabelConflict => {
    const labels = g.map(labelText);
    const counts: Record<string, number> = {};
    for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
    const first = shown.get(idx[g[0]!]!) ?? {};
    return {
      lines: g.slice(0, MAX_LINES).map((k) => rowLocation(data.files, idx[k]!)),
      labels: labels.slice(0, MAX_LINES),
      counts,
      values: Object.fromEntries(m.features.map((f) => [f.name, jsonValue(first[f.name])])),
    };
  };
  const conflicts = exact.filter(conflicting);
  if (conflicts.some((g) => g.length > MAX_LINES)) notes.push(`Groups larger than ${MAX_LINES} rows list their first ${MAX_LINES} lines.`);

  say(0.8, 'Grouping near-duplicates');
  const exactClass = exactOf.classOf;
  const inExact = new Set(conflicts.map((g) => exactClass[g[0]!]!));
  const near = groupBy((v) => Math.round(v / tolerance)).groups.filter((g) => conflicting(g) && !(new Set(g.map((k) => exactClass[k]!)).size === 1 && inExact.has(exactClass[g[0]!]!)));
  shown = await rowsByIndex(session, data.table, [...conflicts, ...near].map((g) => idx[g[0]!]!), opts.signal);
  say(1, 'Done');
  return {
    model: m.name,
    data: m.dataset.path.join(', '),
    transforms: source,
    rows_checked: idx.length,
    groups: conflicts.length,
    rows: conflicts.reduce((a, g) => a + g.length, 0),
    conflicts: conflicts.map(describe),
    near_duplicates: { tolerance, groups: near.length, rows: near.reduce((a, g) => a + g.length, 0), conflicts: near.map(describe) },
    noise,
    ...(labelTolerance !== undefined ? { label_tolerance: labelTolerance } : {}),
    notes,
  };
}

/** The dataset's rows at these indices (__row), as row objects, by index. */
async function rowsByIndex(session: DuckSession, table: string, rows: readonly number[], signal?: AbortSignal): Promise<Map<number, Row>> {
  const out = new Map<number, Row>();
  const wanted = [...new Set(rows)];
  for (let i = 0; i < wanted.length; i += 5000) {
    const part = wanted.slice(i, i + 5000);
    for (const r of await session.rows(`SELECT * FROM ${table} WHERE __row IN (${part.join(',')})`, { signal })) out.set(Number(r['__row']), r);
  }
  return out;
}

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}
