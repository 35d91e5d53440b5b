/** How the front ends write numbers, versions and verdicts, and the vocabulary they validate against: one definition each. */
export { fmtInt, fmtNum, fmtPct } from '../report/profileView';
export { fmtValue, metricLabel } from '../report/format';
export { activeAlerts } from '../monitor/lifecycle';
export { fmtBytes, pct } from '../advise/recommend';
export { DEFAULT_THRESHOLDS } from '../advise';
export { formatRef, keyMetric, describeVersions } from '../registry';
export { hasErrors, isRowLevel, SERVING, TRAINING } from '../schema/types';
export { DEFAULT_MAX_ROW_DIAGNOSTICS } from '../schema/validate';
export { PIPELINE_STEPS, runExitCode } from '../pipeline/runTypes';
export { TUNABLE_PARAMS } from '../tune/types';
export { effectiveParams } from '../tune/space';
export { rankTrials } from '../tune';
export { outputFormatOf } from '../serve/batch';
export { badInput, isProdmlError } from './errors';
