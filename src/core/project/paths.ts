/**
 * Every folder ProdML keeps under `<workspace>/.prodml/`, named once. Writers and readers take
 * their paths from here, so a reader's glob always matches what a writer wrote.
 */
import path from 'node:path';

/** The state folder's name; user-facing folders (landing, ingest) may never point inside it. */
export const STATE_DIR = '.prodml';

/** Folders under `.prodml/`, relative to the workspace root. */
export const REGISTRY_DIR = path.join(STATE_DIR, 'registry');
export const LOGS_ROOT = path.join(STATE_DIR, 'logs');
export const STATIC_DIR = path.join(STATE_DIR, 'static');
export const TUNE_DIR = path.join(STATE_DIR, 'tune');
export const RUNS_DIR = path.join(STATE_DIR, 'runs');
export const QUARANTINE_DIR = path.join(STATE_DIR, 'quarantine');
export const REPORTS_DIR = path.join(STATE_DIR, 'reports');
/** Where ingest copies a landed batch before it is validated and moved into the dataset. */
export const STAGING_DIR = path.join(STATE_DIR, 'staging');

/** The same folders, absolute for one workspace. */
export interface StatePaths {
  readonly dir: string;
  readonly registry: string;
  readonly logs: string;
  readonly static: string;
  readonly tune: string;
  readonly runs: string;
  readonly quarantine: string;
  readonly reports: string;
  /** `.prodml/logs/<model>`: one model's prediction log and labels. */
  modelLogs(model: string): string;
}

export function statePaths(root: string): StatePaths {
  const at = (rel: string) => path.join(root, rel);
  return {
    dir: at(STATE_DIR),
    registry: at(REGISTRY_DIR),
    logs: at(LOGS_ROOT),
    static: at(STATIC_DIR),
    tune: at(TUNE_DIR),
    runs: at(RUNS_DIR),
    quarantine: at(QUARANTINE_DIR),
    reports: at(REPORTS_DIR),
    modelLogs: (model) => path.join(root, LOGS_ROOT, model),
  };
}

/** Whether a workspace-relative, `/`-separated path lies inside `.prodml/`. */
export function isInsideState(rel: string): boolean {
  return rel === STATE_DIR || rel.startsWith(`${STATE_DIR}/`);
}
