import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import * as ops from '../core/ops';
import type { PipelineProgress, RunRecord, StepName, StepRecord } from '../core/ops/types';
import { PIPELINE_STEPS, runExitCode } from '../core/ops/format';
import type { Workspace } from '../core/project/workspace';
import { RUNS_DIR } from '../core/project/paths';
import { progressBar } from './progress';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

export function registerRunCommand(program: Command): void {
  workspaceOption(
    program
    .command('run')
    .description('Run the prodml.yaml pipeline (ingest → validate → train → evaluate → register → promote) up to a step; exit 1 when a batch is quarantined or the model is not blessed')
    .argument('[step]', `run up to and including this step: ${PIPELINE_STEPS.join(', ')}`, (v: string) => {
      if (!(PIPELINE_STEPS as readonly string[]).includes(v)) throw new InvalidArgumentError(`Steps: ${PIPELINE_STEPS.join(', ')}.`);
      return v;
    })
    .option('--watch', 'keep running: start a run for each batch dropped in the landing folder and on the schedule (pipeline.triggers), until Ctrl-C')
    .option('--json', 'print the run record as one JSON document (with --watch: one JSON line per run)'),
  ).action(action(runCommand));
}

export async function runCommand(step: StepName | undefined, opts: { workspace?: string; watch?: boolean; json?: boolean }): Promise<number> {
  const ws = await workspaceOf(opts);
  const root = ws.root;
  if (opts.watch) {
    if (step) process.stderr.write(`prodml: --watch runs the whole pipeline; ignoring the step "${step}"\n`);
    return watchCommand(ws, opts.json === true);
  }
  const display = opts.json ? undefined : stepDisplay();
  let record: RunRecord;
  try {
    record = await withCancel<RunRecord, PipelineProgress>({ bar: false, ...(display ? { onProgress: display.progress } : {}) }, (ctx) => ops.runPipeline(ws, { ...(step ? { step } : {}) }, ctx));
  } finally {
    display?.stop();
  }
  process.stdout.write(opts.json ? JSON.stringify(record, null, 2) + '\n' : runText(record, root));
  return runExitCode(record);
}

async function watchCommand(ws: Workspace, json: boolean): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    await ops.watchPipeline(
      ws,
      {
        onRun: (r) => process.stdout.write(json ? JSON.stringify(r) + '\n' : `${r.finished_at} ${r.trigger} run ${r.id}: ${r.status.toUpperCase()}: ${r.summary}\n`),
        onError: (e) => process.stderr.write(`prodml: ${e.message}\n`),
        onStart: (what) => !json && process.stderr.write(`prodml run --watch: ${what.join('; ')}. Ctrl-C stops.\n`),
      },
      { signal: abort.signal },
    );
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  if (!json) process.stderr.write('stopped\n');
  return EXIT.ok;
}

/** A bar for the step in progress on a terminal, a line per finished step everywhere (stderr). */
function stepDisplay(): { progress: (p: PipelineProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  let bar: ReturnType<typeof progressBar> | undefined;
  const reported = new Set<string>();
  return {
    progress(p) {
      const done = p.status === 'ok' || p.status === 'skipped' || p.status === 'failed' || p.status === 'blocked';
      if (done && !reported.has(p.step) && p.fraction < 1 + 1e-9 && p.phase.startsWith(`${p.step}:`)) {
        reported.add(p.step);
        bar?.stop();
        bar = undefined;
        process.stderr.write(`${mark(p.status)} ${p.phase}\n`);
        return;
      }
      if (!tty || done) return;
      bar ??= progressBar(true);
      bar.update(p.fraction, `${p.step}: ${p.phase}`.slice(0, 100));
    },
    stop: () => bar?.stop(),
  };
}

function mark(status: string): string {
  return status === 'ok' ? '✓' : status === 'skipped' ? '·' : status === 'failed' ? '✗' : status === 'blocked' ? '■' : ' ';
}

export function runText(r: RunRecord, root: string): string {
  const lines = [`${r.model} pipeline run ${r.id} (${r.trigger}): ${r.status.toUpperCase()}: ${r.summary}`, ''];
  for (const s of r.steps) lines.push(stepLine(s), ...s.messages.slice(1).map((m) => `${' '.repeat(31)}${m}`));
  lines.push('', `record: ${path.relative(root, path.join(root, RUNS_DIR, r.id, 'run.json'))}; step logs beside it`);
  return lines.join('\n') + '\n';
}

function stepLine(s: StepRecord): string {
  const time = s.duration_ms !== undefined ? (s.duration_ms >= 1000 ? `${(s.duration_ms / 1000).toFixed(1)} s` : `${s.duration_ms} ms`) : '';
  return `${mark(s.status)} ${s.name.padEnd(9)} ${s.status.padEnd(8)} ${time.padStart(8)}   ${s.messages[0] ?? ''}`.trimEnd();
}
