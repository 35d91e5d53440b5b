/**
 * Run records on disk: `.prodml/runs/<run-id>/run.json` (replaced whole by rename on every
 * change, so a reader sees one state or the next) and `<run-id>/<step>.log` (appended lines).
 * One run at a time per workspace, under the registry's crash-proof lock on `.prodml/runs/`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../project/atomicWrite';
import { badInput, isProdmlError } from '../errors';
import { withModelLock } from '../registry/lock';
import type { RunRecord, StepName } from './runTypes';

import { RUNS_DIR } from '../project/paths';
export { RUNS_DIR };
export const RUN_FILE = 'run.json';

/** Ids sort by start time: `20250314-093000-123-ab12`. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').replace('Z', '');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function runsDir(root: string): string {
  return path.join(root, RUNS_DIR);
}

export function runDir(root: string, id: string): string {
  if (!/^[\w-]+$/.test(id)) throw badInput(undefined, `"${id}" is not a run id (they look like 20250314-093000-123-ab12)`);
  return path.join(runsDir(root), id);
}

/** Absolute path of a step's log. */
export function stepLogPath(root: string, id: string, step: StepName): string {
  return path.join(runDir(root, id), `${step}.log`);
}

export async function writeRun(root: string, record: RunRecord): Promise<void> {
  const dir = runDir(root, record.id);
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, RUN_FILE), JSON.stringify(record, null, 2) + '\n');
}

/** A timestamped line in the step's log. */
export async function appendStepLog(root: string, id: string, step: StepName, text: string): Promise<void> {
  const file = stepLogPath(root, id, step);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const stamp = new Date().toISOString();
  await fs.appendFile(file, text.split('\n').map((l) => `${stamp} ${l}\n`).join(''));
}

/** A run, as recorded; one whose process died mid-run is reported failed (interrupted). */
export async function readRun(root: string, id: string): Promise<RunRecord> {
  const file = path.join(runDir(root, id), RUN_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw badInput(file, `no such run "${id}"`);
  }
  let record: RunRecord;
  try {
    record = JSON.parse(text) as RunRecord;
  } catch (e) {
    throw badInput(file, `is not valid JSON (${(e as Error).message})`);
  }
  return isAbandoned(record) ? interrupted(record) : record;
}

/** Every run, newest first. Unreadable records are left out. */
export async function listRuns(root: string): Promise<RunRecord[]> {
  const names = await fs.readdir(runsDir(root)).catch(() => [] as string[]);
  const ids = names.filter((n) => /^\d{8}-/.test(n)).sort().reverse();
  const out: RunRecord[] = [];
  for (const id of ids) {
    const r = await readRun(root, id).catch(() => undefined);
    if (r) out.push(r);
  }
  return out;
}

/**
 * Runs `fn` holding the workspace's run lock. Another process's run in progress is a clear
 * error at once rather than a wait as long as a training run.
 */
export async function withRunLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withModelLock(runsDir(root), 'running the pipeline', fn, 1500);
  } catch (e) {
    if (isProdmlError(e) && /is locked by/.test(e.message)) {
      throw badInput(undefined, `another pipeline run is in progress in ${root}: ${e.message.replace(/^model 'runs' /, 'the runs folder ')}`);
    }
    throw e;
  }
}

/** Under the run lock: records a dead process left `running` become failed, for good. */
export async function closeAbandonedRuns(root: string): Promise<void> {
  for (const r of await listRuns(root)) {
    if (r.status !== 'failed' || !r.steps.some((s) => s.error?.kind === 'interrupted')) continue;
    const onDisk = JSON.parse(await fs.readFile(path.join(runDir(root, r.id), RUN_FILE), 'utf8')) as RunRecord;
    if (onDisk.status === 'running') await writeRun(root, r);
  }
}

function isAbandoned(r: RunRecord): boolean {
  return r.status === 'running' && r.host === os.hostname() && !isAlive(r.pid);
}

function interrupted(r: RunRecord): RunRecord {
  const message = `interrupted: process ${r.pid} stopped before the run finished`;
  const steps = r.steps.map((s) =>
    s.status === 'running' ? { ...s, status: 'failed' as const, error: { kind: 'interrupted' as const, message } } : s.status === 'pending' ? { ...s, status: 'blocked' as const } : s,
  );
  if (!steps.some((s) => s.error?.kind === 'interrupted')) {
    const first = steps.findIndex((s) => s.status === 'blocked');
    if (first >= 0) steps[first] = { ...steps[first]!, status: 'failed', error: { kind: 'interrupted', message } };
  }
  return { ...r, status: 'failed', summary: `${message}; a rerun resumes`, steps };
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
