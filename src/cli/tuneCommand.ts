import { InvalidArgumentError, type Command } from 'commander';
import * as ops from '../core/ops';
import type { RegisteredTrial, TrialRecord, TuneResult } from '../core/ops/types';
import { effectiveParams, fmtNum, rankTrials, TUNABLE_PARAMS } from '../core/ops/format';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

export function registerTuneCommand(program: Command): void {
  workspaceOption(
    program
    .command('tune')
    .description("Tune a prodml.yaml model's hyperparameters: random search with successive halving (rerun to resume; exit 1 when no trial succeeded)")
    .argument('[model]', 'the model to tune (default: the only one)')
    .option('--trials <n>', "the study's size in trials, counting earlier runs (default: tune.trials, else 20)", positiveInt)
    .option('--minutes <m>', "this run's time budget (default: tune.minutes, else none)", positiveNumber)
    .option('--study <id>', 'resume or name a study (default: the id of the current settings and data)')
    .option('--register-best', 'train the best configuration on the whole training split, register it and point `candidate` at it (exit 1 when not blessed)')
    .option('--json', 'print the study (and the registered version) as one JSON document'),
  ).action(action(tuneCommand));
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`Give a whole number of trials, 1 or more (got ${v}).`);
  return n;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError(`Give a number of minutes above 0 (got ${v}).`);
  return n;
}

interface TuneCliOptions {
  trials?: number;
  minutes?: number;
  study?: string;
  registerBest?: boolean;
  workspace?: string;
  json?: boolean;
}

export async function tuneCommand(model: string | undefined, opts: TuneCliOptions): Promise<number> {
  const lines = !opts.json && process.stderr.isTTY !== true;
  const ws = await workspaceOf(opts);
  let registered: RegisteredTrial | undefined;
  const result: TuneResult = await withCancel(opts, async (ctx) => {
    const r = await ops.tune(
      ws,
      {
        ...(model !== undefined ? { model } : {}),
        ...(opts.trials !== undefined ? { trials: opts.trials } : {}),
        ...(opts.minutes !== undefined ? { minutes: opts.minutes } : {}),
        ...(opts.study !== undefined ? { study: opts.study } : {}),
        onTrial: (t: TrialRecord) => {
          if (lines) process.stderr.write(`trial ${t.trial}: ${t.status}${t.stopped_at ? ` at epoch ${t.stopped_at}` : ''}, ${t.metric === null ? 'no metric' : fmtNum(t.metric)}\n`);
        },
      },
      ctx,
    );
    if (opts.registerBest && r.best) {
      ctx.progress?.({ fraction: 1, phase: `Training trial ${r.best.trial} on the whole training split` });
      registered = await ops.registerBestTrial(ws, { model: r.model, study: r.study }, {
        signal: ctx.signal,
        progress: (p) => ctx.progress?.({ fraction: 1, phase: p.epoch ? `Training the best configuration: epoch ${p.epoch.epoch}/${p.epoch.epochs}` : p.phase }),
      });
    }
    return r;
  });
  if (opts.json) {
    const doc = {
      ...result,
      ...(registered
        ? { registered: { version: registered.outcome.version, metrics: registered.outcome.metrics, blessed: registered.outcome.blessed, alias: registered.alias?.alias ?? null, trial: registered.trial.trial } }
        : {}),
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else process.stdout.write(tuneText(result, registered));
  if (!result.best) return EXIT.failed;
  if (registered && !registered.outcome.blessed) return EXIT.failed;
  return EXIT.ok;
}

const names = (r: TuneResult) => TUNABLE_PARAMS.filter((p) => r.space[p]);
const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'number' ? fmtNum(v) : String(v));

export function tuneText(r: TuneResult, registered?: RegisteredTrial): string {
  const params = names(r);
  const ranked = rankTrials(r.trials, r.direction);
  const header = ['rank', 'trial', 'status', r.metric, 'epochs', ...params];
  const rows = ranked.map((t, i) => [
    String(i + 1),
    t.source === 'default' ? `${t.trial}*` : String(t.trial),
    t.status === 'stopped' ? `stopped@${t.stopped_at}` : t.status,
    t.metric === null ? '—' : fmtNum(t.metric),
    String(t.epochs.length),
    ...params.map((p) => show(effectiveParams(t, [p])[p] ?? '')),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const fmtRow = (row: string[]) => row.map((cell, c) => (c <= 1 || c === 3 || c === 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const direction = r.direction === 'lower' ? 'lower is better' : r.direction === 'higher' ? 'higher is better' : 'nearer 0 is better';
  const stopped = r.trials.filter((t) => t.status === 'stopped').length;
  const out = [
    `${r.model} tuning study ${r.study}: ${r.trials.length} trials (${r.trained} trained now${r.stop_reason === 'minutes' ? ', stopped by the time budget' : ''}), ${stopped} stopped early by successive halving at rungs ${r.rungs.join(', ') || '(none)'}`,
    `${r.metric} (${direction}) on ${r.rows.validation.toLocaleString('en-US')} validation rows held out of the training split; trials trained on ${r.rows.train.toLocaleString('en-US')}`,
    '',
    fmtRow(header),
    ...rows.map(fmtRow),
    ...(r.default ? ['(* prodml.yaml\'s own parameters)'] : []),
    '',
  ];
  if (r.best) {
    out.push(`Best: trial ${r.best.trial}, ${r.metric} ${fmtNum(r.best.metric!)}${r.default?.metric != null && r.default.trial !== r.best.trial ? ` (prodml.yaml's parameters: ${fmtNum(r.default.metric)})` : ''}`, ...bestYaml(r.best), '');
  } else out.push('No trial finished with a metric.', '');
  if (registered) {
    const o = registered.outcome;
    const value = o.metrics[r.metric];
    out.push(
      `Registered ${o.model}:${o.version} from trial ${registered.trial.trial}, trained on the whole training split: ${r.metric} ${value === undefined ? '—' : fmtNum(value)} on the ${o.rows.eval.toLocaleString('en-US')} held-out rows`,
      registered.alias ? `candidate → ${o.model}:${o.version} (promote with prodml models promote ${o.model}:${o.version})` : `NOT BLESSED: ${o.model}:${o.version} is registered but candidate was not moved`,
      '',
    );
  } else if (r.best) out.push(`Register it as the candidate: prodml tune ${r.model} --register-best`, '');
  return out.join('\n');
}

/** The best configuration as prodml.yaml lines, ready to paste. */
function bestYaml(t: TrialRecord): string[] {
  const flow = (o: Record<string, unknown>): string =>
    `{${Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): string => `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'object' ? flow(v as Record<string, unknown>) : String(v)}`)
      .join(', ')}}`;
  const { patience, ...rest } = t.training;
  return [`    model: ${flow({ ...t.model })}`, `    training: ${flow({ ...rest, ...(patience !== undefined ? { early_stopping: { patience } } : {}) })}`];
}
