export { tuneModel, rankTrials, type TuneOptions } from './tuner';
export { registerBestTrial, loadStudyResult, CANDIDATE_ALIAS, type RegisteredTrial } from './register';
export { resolveTuneSettings, defaultSpace, KEY_METRIC, TASK_METRICS } from './settings';
export { sampleParams, drawValue, applyParams, type TrialParams } from './space';
export { rungEpochs, Rungs, rungValue } from './halving';
export { listStudies, studyDir, TUNE_DIR } from './study';
export * from './types';
