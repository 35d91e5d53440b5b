/**
 * What the language server asks of the engine while the user types. Unlike the other operations
 * these share one long-lived DuckDB session (validations run one at a time on it), so they take
 * the session instead of opening their own.
 */
import { DuckSession } from '../data/duckdb';
import { profileDatasets } from '../data/profile';
import type { DatasetProfile } from '../data/profileTypes';
import { openSource } from '../data/source';
import type { Anomaly, Schema } from '../schema/types';
import { validateData } from '../schema/validate';

export type { DatasetProfile, ColumnProfile } from '../data/profileTypes';
export type { Anomaly, Schema } from '../schema/types';
export type { SchemaIssue } from '../schema/io';
export { isRowLevel } from '../schema/types';
export { checkYaml, parseSchema } from '../schema/io';
export { applyFix, fixesFor, fixTitle } from '../schema/fixes';
export { splitCsvLine } from '../schema/lineIndex';
export { datasetFiles, governingSchema, loadProjectConfig, parseProjectConfig, PROJECT_FILE, type Governance } from '../project/config';
export { projectProblems, type ProjectProblem } from '../project/problems';
export type { DuckSession };

/** The session the language server keeps, confined to the workspace folders and its scratch folder. */
export function openEditorSession(allowedDirectories: string[]): Promise<DuckSession> {
  return DuckSession.open({ allowedDirectories });
}

export interface CheckFileRequest {
  /** The file to check (or a scratch copy of unsaved editor text). */
  file: string;
  root?: string;
  schema: Schema;
  /** Drift (previous span) or skew (training data) against this data; on open and save only. */
  baseline?: string;
  environment?: string;
}

/** A data file checked against its schema: the anomalies, each with its line and column. */
export async function checkDataFile(session: DuckSession, req: CheckFileRequest): Promise<Anomaly[]> {
  const baseline = req.baseline ? await openSource(req.baseline, req.root) : undefined;
  return (await validateData(session, await openSource(req.file, req.root), req.schema, { baseline, environment: req.environment })).anomalies;
}

/** A data file's profile, for the hover on a header cell. */
export async function profileFile(session: DuckSession, req: { file: string; root?: string }): Promise<DatasetProfile> {
  return profileDatasets(session, await openSource(req.file, req.root));
}
export { fmtInt, fmtNum, fmtPct } from '../report/profileView';
