/**
 * The drift measures of a profile comparison, per column: the distances `prodml validate`
 * computes for its drift checks (featureDistances in schema/drift.ts, on the same shared bins
 * and categories), against the thresholds of a schema, so the report and the validator agree.
 */
import type { ProfileResult } from '../data/profileTypes';
import { distanceName, featureDistances, fmtDistance, type FeatureDistance } from '../schema/drift';
import { DEFAULT_DRIFT_THRESHOLD, schemaFromProfile } from '../schema/infer';
import type { FeatureSchema } from '../schema/types';

export interface DriftSchema {
  features: Record<string, FeatureSchema>;
  /** Where the thresholds come from, e.g. "schemas/natality.schema.yaml". */
  file: string;
}

export interface DriftRow {
  column: string;
  measure: string;
  value: string;
  threshold: string;
  verdict: 'drifted' | 'within threshold' | 'not measured';
  distance: FeatureDistance;
}

export interface ProfileDrift {
  rows: DriftRow[];
  /** One sentence: whose thresholds these are. */
  thresholds: string;
}

/**
 * Each column's drift comparator (its skew comparator when it has none, e.g. a feature only
 * checked against serving) from `schema`, or, without one, the comparators `prodml schema infer`
 * would write for the base dataset (Jensen-Shannon for numbers, L-infinity for categories and
 * booleans, threshold 0.1). Undefined when the profile compares nothing.
 */
export function profileDrift(result: ProfileResult, schema?: DriftSchema): ProfileDrift | undefined {
  if (!result.compare) return undefined;
  const features = schema?.features ?? schemaFromProfile(result).schema.features;
  const compared = result.columns
    .map((c) => [c.name, features[c.name]] as const)
    .filter((e): e is readonly [string, FeatureSchema] => e[1] !== undefined)
    .map(([name, f]): [string, FeatureSchema] => [name, { ...f, drift: f.drift ?? f.skew }]);
  const rows = featureDistances(result, compared, 'drift').map((d): DriftRow => {
    const measured = Number.isFinite(d.value);
    return {
      column: d.feature,
      measure: distanceName(d.measure),
      value: measured ? fmtDistance(d.value, d.threshold) : '—',
      threshold: fmtThreshold(d.threshold),
      verdict: !measured ? 'not measured' : d.exceeded ? 'drifted' : 'within threshold',
      distance: d,
    };
  });
  const thresholds = schema
    ? `Thresholds from ${schema.file}, as prodml validate applies them.`
    : `Thresholds of a schema inferred from ${result.source} (prodml schema infer: ${DEFAULT_DRIFT_THRESHOLD} for every column); a workspace schema's own thresholds apply when the dataset names one.`;
  return { rows, thresholds };
}

/** The schema's number as written, with two decimals at least (0.1 -> 0.10, 0.001 stays 0.001). */
function fmtThreshold(t: number): string {
  return Number(t.toFixed(2)) === t ? t.toFixed(2) : String(t);
}
