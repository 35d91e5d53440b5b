/**
 * The pipeline's steps and what each needs first. The graph is a chain today, but the runner only
 * relies on this table, so a step with two parents (e.g. a tuner beside train) slots in here.
 */
import { badInput } from '../errors';
import { PIPELINE_STEPS, type StepName } from './runTypes';

export const STEP_DEPENDENCIES: Readonly<Record<StepName, readonly StepName[]>> = {
  ingest: [],
  validate: ['ingest'],
  train: ['validate'],
  evaluate: ['train'],
  register: ['evaluate'],
  promote: ['register'],
};

/**
 * train, evaluate and register run as one unit: the trained weights live in memory until they are
 * registered, so asking for train or evaluate runs through register.
 */
const UNIT_END: Partial<Record<StepName, StepName>> = { train: 'register', evaluate: 'register' };

/** The steps `prodml run <target>` executes, in dependency order. */
export function stepsUpTo(target: StepName = 'promote'): StepName[] {
  if (!(PIPELINE_STEPS as readonly string[]).includes(target)) throw badInput(undefined, `unknown pipeline step "${target}"; steps: ${PIPELINE_STEPS.join(', ')}`);
  const end = UNIT_END[target] ?? target;
  const needed = new Set<StepName>();
  const visit = (s: StepName) => {
    if (needed.has(s)) return;
    needed.add(s);
    STEP_DEPENDENCIES[s].forEach(visit);
  };
  visit(end);
  return topoOrder().filter((s) => needed.has(s));
}

/** Kahn's algorithm over STEP_DEPENDENCIES, ties broken by PIPELINE_STEPS order. */
export function topoOrder(): StepName[] {
  const done: StepName[] = [];
  const left = new Set<StepName>(PIPELINE_STEPS);
  while (left.size > 0) {
    const next = PIPELINE_STEPS.find((s) => left.has(s) && STEP_DEPENDENCIES[s].every((d) => done.includes(d)));
    if (!next) throw new Error(`pipeline steps have a dependency cycle among ${[...left].join(', ')}`);
    done.push(next);
    left.delete(next);
  }
  return done;
}

/** Whether a step may run given its dependencies' outcomes in this run. */
export function dependenciesMet(step: StepName, status: (s: StepName) => string | undefined): boolean {
  return STEP_DEPENDENCIES[step].every((d) => {
    const st = status(d);
    return st === undefined || st === 'ok' || st === 'skipped';
  });
}
