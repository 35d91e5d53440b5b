/** The adaptable-system checks: feature value against cost, and leakage. */
export { featureImportance, permutationImportance, dropOf, type ImportanceOptions } from './importance';
export { leakageCheck, skillOf, type LeakageOptions } from './leakage';
export * from './types';
export { labelConsistency, type LabelConflict, type LabelOptions, type LabelReport } from './labels';
