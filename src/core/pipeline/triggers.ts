/**
 * Dynamic training. Push: watchLanding starts a run when a file dropped in the landing folder
 * has stopped growing. Pull: scheduleRuns starts one every N hours. Runs in this process go one
 * at a time (a run started while another is going waits for it); runs of other processes are
 * kept out by the run lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { listBatches } from './files';
import { DEFAULT_WATCH } from '../project/pipelineBlock';
import { loadPipeline, runPipeline } from './runner';
import type { RunRecord, RunTrigger } from './runTypes';

export interface TriggerOptions {
  /** Stops watching (or scheduling) and cancels a run in progress. */
  signal: AbortSignal;
  onRun: (record: RunRecord) => void;
  /** A run that could not start (prodml.yaml broken, another process's run holds the lock). */
  onError?: (e: Error) => void;
}

export interface WatchOptions extends TriggerOptions {
  /** Override pipeline.triggers.watch.debounce_ms / poll_ms. */
  debounceMs?: number;
  pollMs?: number;
  /** A file was noticed and is waiting to stop growing. */
  onNotice?: (file: string) => void;
}

const chains = new Map<string, Promise<unknown>>();

/** Runs `fn` after every run this process started in `root` before it. */
function oneAtATime<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const prev = chains.get(root) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  chains.set(root, next.catch(() => undefined));
  return next;
}

async function triggeredRun(root: string, trigger: RunTrigger, opts: TriggerOptions): Promise<void> {
  try {
    const record = await oneAtATime(root, () => (opts.signal.aborted ? Promise.resolve(undefined) : runPipeline(root, { trigger, signal: opts.signal })));
    if (record) opts.onRun(record);
  } catch (e) {
    opts.onError?.(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * Watches the pipeline's landing folder (created if missing) until `signal` aborts; files there
 * at the start count as dropped. fs.watch gives the prompt start, polling catches what it misses.
 */
export async function watchLanding(root: string, opts: WatchOptions): Promise<void> {
  root = path.resolve(root);
  const { project, pipeline } = await loadPipeline(root);
  if (!pipeline.ingest) throw badInput(project.file, 'pipeline.steps.ingest is false: there is no landing folder to watch');
  const dir = path.join(root, pipeline.ingest.from);
  await fs.promises.mkdir(dir, { recursive: true });
  const debounceMs = opts.debounceMs ?? pipeline.triggers.watch?.debounce_ms ?? DEFAULT_WATCH.debounce_ms;
  const pollMs = opts.pollMs ?? pipeline.triggers.watch?.poll_ms ?? DEFAULT_WATCH.poll_ms;

  /** file → size:mtime when it was taken, so a file a failed run left behind does not loop. */
  const taken = new Map<string, string>();
  /** file → size:mtime first seen, and when: it is ready once that held for debounceMs. */
  const settling = new Map<string, { sig: string; since: number }>();
  let queued = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const scan = async () => {
    if (opts.signal.aborted) return;
    const now = Date.now();
    let ready = false;
    const present = new Set<string>();
    for (const file of await listBatches(dir)) {
      const st = await fs.promises.stat(file).catch(() => undefined);
      if (!st) continue;
      present.add(file);
      const sig = `${st.size}:${st.mtimeMs}`;
      if (taken.get(file) === sig) continue;
      const s = settling.get(file);
      if (!s || s.sig !== sig) {
        if (!s) opts.onNotice?.(path.relative(root, file));
        settling.set(file, { sig, since: now });
      } else if (now - s.since >= debounceMs) {
        ready = true;
      }
    }
    for (const f of [...settling.keys()]) if (!present.has(f)) settling.delete(f);
    for (const f of [...taken.keys()]) if (!present.has(f)) taken.delete(f);
    if (ready && !queued) {
      // The run takes every settled file; ones still growing wait for the next.
      for (const [f, s] of settling) if (now - s.since >= debounceMs) taken.set(f, s.sig);
      for (const f of taken.keys()) settling.delete(f);
      queued = true;
      running = triggeredRun(root, 'watch', opts).finally(() => {
        queued = false;
        soon(0);
      });
    }
    if (settling.size > 0) soon(debounceMs);
  };
  let scanning = Promise.resolve();
  const soon = (ms: number) => {
    if (opts.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      scanning = scanning.then(scan).catch((e) => opts.onError?.(e as Error));
    }, ms);
  };

  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(dir, () => soon(50));
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined; // polling alone
  }
  const poll = setInterval(() => soon(0), pollMs);
  soon(0);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(poll);
  clearTimeout(timer);
  watcher?.close();
  await scanning;
  await running;
}

/** A run every `everyHours` (the first one after the first interval, or at once with `immediately`) until `signal` aborts. */
export async function scheduleRuns(root: string, opts: TriggerOptions & { everyHours: number; immediately?: boolean }): Promise<void> {
  if (!(opts.everyHours > 0)) throw badInput(undefined, `a schedule needs every_hours above 0, got ${opts.everyHours}`);
  root = path.resolve(root);
  const ms = opts.everyHours * 3_600_000;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = running.then(() => triggeredRun(root, 'schedule', opts));
    timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, opts.immediately ? 0 : ms);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearTimeout(timer);
  await running;
}
