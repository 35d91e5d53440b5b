/**
 * One evaluation of a model's predictions: metrics overall and per slice, each next to the naive
 * baseline, residuals by input, and the blessing verdict. `prodml evaluate`, training and the
 * compare view all call this, so every front end shows the same numbers.
 */
import { badInput } from '../errors';
import {
  baselineDescription,
  binaryBaselineScores,
  fitBaseline,
  multiclassBaselineProbabilities,
  regressionBaselinePredictions,
  type Baseline,
} from './baseline';
import { bless, type Blessing, type BlessingSpec } from './blessing';
import { computeMetrics, scalarMetrics, type MetricOptions, type ScalarMetrics, type TaskData, type TaskEvaluation } from './metrics';
import { residualsByInput, type InputResiduals, type InputValue, type ResidualsByInputOptions } from './regression';
import { groupRows, subsetData } from './slices';
import { totalWeight } from './summation';
import { isMetricName, METRIC_DIRECTIONS, type MetricDirection, type MetricValues, type Task } from './types';

export const DEFAULT_MIN_SLICE_ROWS = 30;
export const DEFAULT_MAX_SLICE_VALUES = 50;

export interface EvaluateOptions extends MetricOptions {
  /**
   * The naive baseline fitted on the training labels (fitBaseline). Without it the baseline is
   * fitted on the evaluation labels, which flatters it; the report says which it was.
   */
  baseline?: Baseline;
  /** Regression: input columns (row-aligned) to show residuals against. */
  inputs?: Record<string, ArrayLike<InputValue>>;
  residualsByInput?: ResidualsByInputOptions;
  /** Slice columns (row-aligned): every metric per value of each. */
  slices?: Record<string, ArrayLike<InputValue>>;
  /** Slices with fewer rows are reported but flagged `small`: their metrics are noise. Default 30. */
  minSliceRows?: number;
  /** The most frequent values reported per slice column; the rest are counted in `omitted_values`. Default 50. */
  maxSliceValues?: number;
  /** The thresholds and allowed regressions that decide the blessing. */
  validation?: BlessingSpec;
  /** The production version's metrics, for the regression checks; absent when there is none. */
  production?: MetricValues;
}

export interface MetricComparison {
  metric: string;
  direction: MetricDirection;
  model: number;
  baseline: number;
}

export interface BaselineReport {
  spec: Baseline;
  fitted_on: 'training' | 'evaluation';
  description: string;
  metrics: ScalarMetrics;
}

export interface SliceReport {
  column: string;
  value: string | null;
  rows: number;
  weight: number;
  /** Fewer rows than `minSliceRows`. */
  small: boolean;
  /** Absent when every row of the slice has weight 0 (nothing to measure). */
  evaluation?: TaskEvaluation;
  baseline?: ScalarMetrics;
  comparison?: MetricComparison[];
}

export interface SliceColumnReport {
  column: string;
  slices: SliceReport[];
  /** Values beyond `maxSliceValues`, not reported. */
  omitted_values: number;
}

export interface EvaluationReport {
  task: Task;
  overall: TaskEvaluation;
  baseline: BaselineReport;
  comparison: MetricComparison[];
  residuals_by_input: InputResiduals[];
  slices: SliceColumnReport[];
  blessing?: Blessing;
}

export function evaluatePredictions(data: TaskData, options: EvaluateOptions = {}): EvaluationReport {
  const overall = computeMetrics(data, options);
  const fittedOn = options.baseline ? 'training' : 'evaluation';
  const spec = options.baseline ?? fitBaseline(data.task, data.labels, data.weights, data.task === 'multiclass' ? data.probabilities[0]!.length : undefined);
  const baselineMetrics = scalarMetrics(baselineData(data, spec), options);
  const report: EvaluationReport = {
    task: data.task,
    overall,
    baseline: { spec, fitted_on: fittedOn, description: baselineDescription(spec), metrics: baselineMetrics },
    comparison: compare(overall.metrics, baselineMetrics),
    residuals_by_input:
      data.task === 'regression' ? Object.entries(options.inputs ?? {}).map(([name, values]) => residualsByInput(data, name, values, options.residualsByInput)) : [],
    slices: Object.entries(options.slices ?? {}).map(([column, values]) => sliceColumn(data, column, values, spec, options)),
  };
  if (options.validation) report.blessing = bless(overall.metrics, options.validation, options.production);
  return report;
}

/** The same rows with the baseline's constant predictions in place of the model's. */
function baselineData(data: TaskData, spec: Baseline): TaskData {
  const n = data.labels.length;
  if (data.task === 'regression' && spec.task === 'regression') return { ...data, predictions: regressionBaselinePredictions(spec, n) };
  if (data.task === 'binary' && spec.task === 'binary') return { ...data, scores: binaryBaselineScores(spec, n) };
  if (data.task === 'multiclass' && spec.task === 'multiclass') {
    return { ...data, probabilities: multiclassBaselineProbabilities(spec, n, data.probabilities[0]!.length) };
  }
  throw badInput(undefined, `a ${spec.task} baseline cannot score a ${data.task} model`);
}

function compare(model: ScalarMetrics, baseline: ScalarMetrics): MetricComparison[] {
  return Object.entries(model).map(([metric, value]) => ({
    metric,
    direction: isMetricName(metric) ? METRIC_DIRECTIONS[metric] : 'higher',
    model: value,
    baseline: (baseline as Record<string, number>)[metric]!,
  }));
}

function sliceColumn(data: TaskData, column: string, values: ArrayLike<InputValue>, spec: Baseline, options: EvaluateOptions): SliceColumnReport {
  if (values.length !== data.labels.length) throw badInput(undefined, `slice column ${column} has ${values.length} rows, the labels have ${data.labels.length}`);
  const groups = groupRows(values);
  const shown = groups.slice(0, options.maxSliceValues ?? DEFAULT_MAX_SLICE_VALUES);
  const minRows = options.minSliceRows ?? DEFAULT_MIN_SLICE_ROWS;
  const slices = shown.map(({ value, rows }): SliceReport => {
    const subset = subsetData(data, rows);
    const weight = totalWeight(rows.length, subset.weights);
    const slice: SliceReport = { column, value, rows: rows.length, weight, small: rows.length < minRows };
    if (weight > 0) {
      slice.evaluation = computeMetrics(subset, options);
      slice.baseline = scalarMetrics(baselineData(subset, spec), options);
      slice.comparison = compare(slice.evaluation.metrics, slice.baseline);
    }
    return slice;
  });
  return { column, slices, omitted_values: groups.length - shown.length };
}
