/** The core's result types the front ends format, named in one place. */
export type { ColumnProfile, ProfileResult } from '../data/profileTypes';
export type { Anomaly, ValidationResult } from '../schema/types';
export type { MonitorReport, WindowReport } from '../monitor';
export type { CheckProgress, ImportanceReport, LabelReport, LeakageReport, LeakageFinding, LineFinding } from '../checks';
export type { AliasChange, GcResult, ModelVersion, ModelSummary, VersionSummary, Aliases } from '../registry';
export type { MetricDelta, VersionComparison } from '../evaluate/compareVersions';
export type { RegisteredTrial, TrialRecord, TuneResult } from '../tune';
export type { AdviceThresholds, ServingAdvice } from '../advise';
export type { PipelineProgress, RunRecord, StepName, StepRecord, StepStatus } from '../pipeline/runTypes';
export type { TrainOutcome } from '../train/run';
export type { ServerEvent } from '../serve/server';
