/**
 * From a study to the registry: the best trial's configuration is trained again by
 * `trainFromConfig` on the model's whole training split (trials saw only part of it), evaluated
 * on the held-out split the tuner never used, registered with a card that names the study, and
 * pointed at by `candidate`, never `production`: promotion stays a person's (or a pipeline
 * gate's) decision.
 */
import path from 'node:path';
import { badInput } from '../errors';
import { openRegistry, type AliasChange } from '../registry';
import { trainFromConfig, type TrainOptions, type TrainOutcome } from '../train/run';
import { trainParams } from './space';
import { listStudies, readStudy, readTrials, studyDir } from './study';
import { resultOf } from './tuner';
import type { TrialRecord, TuneResult } from './types';

export const CANDIDATE_ALIAS = 'candidate';

/** A study as recorded, for showing it without running anything. The newest study of the model when none is named. */
export async function loadStudyResult(root: string, model: string, study?: string): Promise<TuneResult> {
  const id = study ?? (await listStudies(root, model))[0]?.study;
  if (!id) throw badInput(undefined, `model ${model} has no tuning study yet (run prodml tune ${model})`);
  const dir = studyDir(root, model, id);
  const record = await readStudy(dir);
  if (!record) throw badInput(path.join(dir, 'study.json'), `not found: model ${model} has no tuning study "${id}"`);
  const trials = [...(await readTrials(dir)).values()];
  return resultOf(record, dir, trials, { trained: 0, stop_reason: 'trials', seconds: 0 });
}

export interface RegisteredTrial {
  study: string;
  trial: TrialRecord;
  outcome: TrainOutcome;
  /** The candidate alias move; absent when the version was not blessed (a candidate may be served as a canary). */
  alias?: AliasChange;
}

export async function registerBestTrial(root: string, model: string, studyId?: string, opts: Pick<TrainOptions, 'signal' | 'onProgress' | 'backend'> = {}): Promise<RegisteredTrial> {
  const study = await loadStudyResult(root, model, studyId);
  const best = study.best;
  if (!best) throw badInput(path.join(study.dir, 'trials.jsonl'), `study ${study.study} has no finished trial with a ${study.metric} yet`);
  const outcome = await trainFromConfig(root, model, {
    ...opts,
    overrides: { model: best.model, training: trainParams(best.training, undefined) },
    cardParams: {
      tuning: {
        study: study.study,
        trial: best.trial,
        metric: study.metric,
        validation_value: best.metric,
        params: best.params,
        trials: study.trials.length,
      },
    },
  });
  if (!outcome.blessed) return { study: study.study, trial: best, outcome };
  const registry = await openRegistry(root);
  const alias = await registry.promote(model, outcome.version, CANDIDATE_ALIAS, `best trial ${best.trial} of tuning study ${study.study} (${study.metric} ${best.metric!.toPrecision(4)} on validation)`);
  return { study: study.study, trial: best, outcome, alias };
}
