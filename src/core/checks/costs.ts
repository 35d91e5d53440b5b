/** What each feature costs to keep: how often it is missing in the training split, and where it comes from. */
import { toCategory } from '../features/apply';
import type { ModelConfig } from '../project/config';
import type { CheckData, RawColumn } from './datasetColumns';
import type { FeatureCostReport } from './types';

/** Missing: null, undefined or an empty string (what transforms impute). */
export function featureCosts(m: ModelConfig, data: Pick<CheckData, 'train' | 'files'>, columns: ReadonlyMap<string, RawColumn>, features: readonly string[]): Record<string, FeatureCostReport> {
  const out: Record<string, FeatureCostReport> = {};
  for (const f of features) {
    const c = columns.get(f)!;
    let missing = 0;
    for (const i of data.train) if (toCategory(c.value(i)) === null) missing++;
    const note = m.feature_costs?.[f];
    out[f] = {
      missing_rate: data.train.length ? missing / data.train.length : 0,
      missing,
      rows: data.train.length,
      dataset: m.dataset.name,
      files: data.files.map((x) => x.path),
      ...(note?.cost !== undefined ? { cost: note.cost } : {}),
      ...(note?.source !== undefined ? { source: note.source } : {}),
    };
  }
  return out;
}

/** A feature has a cost when it goes missing, or prodml.yaml gives it a cost or an upstream source. */
export function hasCost(c: FeatureCostReport): boolean {
  return c.missing > 0 || (c.cost ?? 0) > 0 || c.source !== undefined;
}
