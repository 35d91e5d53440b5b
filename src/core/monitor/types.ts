/**
 * What `prodml monitor --json` prints and the Monitoring dashboard renders: the prediction log
 * cut into windows, each with its traffic, metrics once labels exist, residuals, input and
 * prediction drift against the training data, and the alerts that fired. Field names are
 * snake_case because they are printed as is. NaN metrics become null in JSON.
 */
import type { InputResiduals } from '../evaluate/regression';
import type { MonitorWindow } from '../project/config';
import type { Route } from '../serve/logTypes';
import type { DriftStatistic } from './driftStats';

export type ThresholdKind = 'fixed' | 'calibrated';

/** One statistic of one feature (or of the prediction) in one window. */
export interface DriftValue {
  feature: string;
  statistic: DriftStatistic;
  value: number | null;
  threshold: number;
  kind: ThresholdKind;
  /** value > threshold (and the window has enough rows to judge). */
  alert: boolean;
  /** For missing_rate: the two fractions. */
  baseline_missing?: number;
  current_missing?: number;
  /** What moved most, in words. */
  moved?: string;
}

export interface Quantiles {
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
}

export interface VersionCount {
  version: number;
  count: number;
}

export interface WindowReport {
  window: string;
  /** ISO instants, end exclusive (chunks: the first and last request times). */
  start: string;
  end: string;
  /** Served instances: primary, canary and batch routes. */
  count: number;
  routes: Partial<Record<Route, number>>;
  versions: VersionCount[];
  /** The version whose training data this window's drift is measured against (the one that served most). */
  baseline_version?: number;
  labelled: number;
  /** The task's metrics over the labelled served instances (regression: rmse, mae, r2, mean_residual). */
  metrics?: Record<string, number | null>;
  /** Regression and binary: label − prediction. */
  residual_quantiles?: Quantiles;
  residuals_by_input?: InputResiduals[];
  /** Numbers (regression values, binary scores): their quantiles in this window. */
  prediction_quantiles?: Quantiles;
  /** Multiclass: share of each predicted class. */
  prediction_classes?: Record<string, number>;
  drift: DriftValue[];
  /** Fewer served instances than MIN_WINDOW_ROWS: statistics shown, no alert raised. */
  small: boolean;
}

export interface ShadowWindow {
  window: string;
  start: string;
  count: number;
  labelled: number;
  metrics?: Record<string, number | null>;
  prediction_drift?: DriftValue;
}

/** A version scored in shadow: reported apart, never counted as served. */
export interface ShadowReport {
  version: number;
  count: number;
  windows: ShadowWindow[];
}

export interface VersionMarker {
  /** Where it sits on the windows' time axis (ISO), and in which window. */
  at: string;
  window?: string;
  source: 'registry' | 'log';
  /** registry: promote or rollback of an alias; log: the version served on a route changed. */
  action: 'promote' | 'rollback' | 'served';
  alias?: string;
  route?: Route;
  from: number | null;
  to: number;
  /** When it happened (registry: the event time; log: the first request served by `to`). */
  time: string;
  description: string;
}

export interface ThresholdReport {
  /** The version whose training data the threshold was calibrated on. */
  version?: number;
  feature?: string;
  metric?: string;
  statistic: string;
  kind: ThresholdKind;
  /** Drift and lower-is-better metrics alert above max; higher-is-better metrics below min. */
  min?: number;
  max?: number;
  /**
   * Calibrated: the reference windows' mean and σ of the statistic, and how many windows, and
   * the scale the threshold was set on (calibrate.ts): linear, max = max(floor, mean + sigmas·std);
   * log (the distances), max = max(floor, exp(scaled_mean + sigmas·scaled_std) − offset);
   * sqrt (the missing and new-value shares), max = max(floor, (scaled_mean + sigmas·scaled_std)² − offset),
   * scaled_mean and scaled_std being the mean and σ of ln or √ of (statistic + offset).
   */
  reference?: {
    mean: number;
    std: number;
    windows: number;
    scale?: 'linear' | 'log' | 'sqrt';
    sigmas?: number;
    scaled_mean?: number;
    scaled_std?: number;
    offset?: number;
    floor?: number;
  };
  /** Why a calibrated threshold fell back to the fixed one. */
  note?: string;
}

export interface Alert {
  window: string;
  feature?: string;
  metric?: string;
  statistic: string;
  value: number;
  threshold: number;
  kind: ThresholdKind;
  message: string;
  /** The version that served the window (most of its requests). */
  version?: number;
  /** Resolved once the serving alias moved away from `version` after the window (lifecycle.ts). */
  status: 'active' | 'resolved';
  resolved?: AlertResolution;
}

/** The alias change that resolved an alert. */
export interface AlertResolution {
  /** When (ISO), from the registry's alias history. */
  at: string;
  action: 'promote' | 'rollback';
  from: number | null;
  to: number;
  description: string;
}

export interface MonitorReport {
  model: string;
  generated_at: string;
  window: MonitorWindow;
  /** The input field windows are cut on, or "time" (when the request arrived). */
  time_column: string;
  task?: string;
  log: {
    dir: string;
    records: number;
    served: number;
    shadow: number;
    skipped_lines: number;
    labels: { read: number; skipped: number; by_request_id: number; by_key: number };
    labelled: number;
  };
  baselines: { version: number; datasets: string[]; rows: number; reference: string }[];
  /** Why drift could not be measured for a version, when it could not. */
  notes: string[];
  windows: WindowReport[];
  shadow: ShadowReport[];
  markers: VersionMarker[];
  thresholds: ThresholdReport[];
  /** Every alert, active or resolved; `activeAlerts()` gives the ones that still stand. */
  alerts: Alert[];
}
