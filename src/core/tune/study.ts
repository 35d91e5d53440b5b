/**
 * A study on disk: `.prodml/tune/<model>/<study>/study.json` (what it tunes, with what settings,
 * on which data) and `trials.jsonl` (one line per finished trial, appended with one fsynced
 * write). A trial that was cut off never wrote its line, so a rerun trains it again and nothing
 * else; a torn last line (power loss) is ignored the same way.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { writeFileAtomic } from '../project/atomicWrite';
import { appendLineDurable, syncDir } from '../registry/durable';
import type { StudyRecord, TrialRecord } from './types';

import { TUNE_DIR } from '../project/paths';
export { TUNE_DIR };
export const STUDY_FILE = 'study.json';
export const TRIALS_FILE = 'trials.jsonl';

export function studyDir(root: string, model: string, study: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(study)) throw badInput(undefined, `study id "${study}" may hold letters, digits, ".", "_" and "-" only`);
  return path.join(root, TUNE_DIR, model, study);
}

/** A study's id when none is given: the same model section, settings and data give the same id, so a rerun resumes it. */
export function studyIdOf(fingerprint: string): string {
  return fingerprint.replace(/^sha256:/, '').slice(0, 12);
}

export function fingerprintOf(parts: unknown): string {
  return `sha256:${crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
}

export async function readStudy(dir: string): Promise<StudyRecord | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(path.join(dir, STUDY_FILE), 'utf8')) as StudyRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw badInput(path.join(dir, STUDY_FILE), `cannot be read: ${(e as Error).message}`);
  }
}

export async function writeStudy(dir: string, study: StudyRecord): Promise<void> {
  await writeFileAtomic(path.join(dir, STUDY_FILE), JSON.stringify(study, null, 2) + '\n');
  await syncDir(dir);
}

/** Finished trials by trial number; the first record of a number wins (a duplicate can only be a replay). */
export async function readTrials(dir: string): Promise<Map<number, TrialRecord>> {
  const out = new Map<number, TrialRecord>();
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(dir, TRIALS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let t: TrialRecord;
    try {
      t = JSON.parse(line) as TrialRecord;
    } catch {
      continue; // a torn line: that trial is trained again
    }
    if (Number.isInteger(t.trial) && !out.has(t.trial)) out.set(t.trial, t);
  }
  return out;
}

export async function appendTrial(dir: string, trial: TrialRecord): Promise<void> {
  await appendLineDurable(path.join(dir, TRIALS_FILE), JSON.stringify(trial));
}

/** The studies of a model, newest first. */
export async function listStudies(root: string, model: string): Promise<StudyRecord[]> {
  const base = path.join(root, TUNE_DIR, model);
  const names = await fs.promises.readdir(base).catch(() => [] as string[]);
  const studies = (await Promise.all(names.map((n) => readStudy(path.join(base, n)).catch(() => undefined)))).filter((s): s is StudyRecord => s !== undefined);
  return studies.sort((a, b) => b.created_at.localeCompare(a.created_at));
}
