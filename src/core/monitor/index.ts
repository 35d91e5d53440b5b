export { monitorModel, DEFAULT_MONITORING, type MonitorOptions } from './monitor';
export { MIN_WINDOW_ROWS } from './windows';
export { readPredictionLog, logDir, type LoggedPrediction, type PredictionLog } from './logReader';
export { compareFeature, summarizeBaseline, withoutWindow, featureKind, type FeatureBaseline, type FeatureComparison, type DriftStatistic } from './driftStats';
export { calibrateUpper, oneRowShare, referenceStatistics, type Calibration } from './calibrate';
export { PREDICTION } from './baseline';
export * from './types';
export { activeAlerts, resolveAlerts } from './lifecycle';
