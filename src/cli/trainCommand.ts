import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import * as ops from '../core/ops';
import type { TrainOutcome } from '../core/ops/types';
import { fmtNum } from '../core/ops/format';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

export function registerTrainCommand(program: Command): void {
  workspaceOption(
    program
      .command('train')
      .description('Train a prodml.yaml model, evaluate it and register the version (exit 1 when it is not blessed)')
      .argument('[model]', 'the model to train (default: the only one)')
      .option('--json', 'print { model, version, metrics, blessed } as one JSON document'),
  ).action(action(trainCommand));
}

export async function trainCommand(model: string | undefined, opts: { workspace?: string; json?: boolean }): Promise<number> {
  const tty = !opts.json && process.stderr.isTTY === true;
  const bar = tty ? new SingleBar({ format: ' epoch {value}/{total} {bar} loss {loss} · eval {evalLoss}{note}', stream: process.stderr, hideCursor: true }) : undefined;
  let started = false;
  const ws = await workspaceOf(opts);
  let outcome: TrainOutcome;
  try {
    outcome = await withCancel(
      {
        bar: false,
        onProgress: ({ phase, epoch: e }) => {
          if (!e) {
            if (opts.json) return;
            if (!bar) process.stderr.write(`${phase}\n`);
            // On a terminal, long phases (the streamed layout, a long epoch) show on one status
            // line before the first epoch ends, then beside the bar.
            else if (!started) process.stderr.write(`\r\x1b[K${phase.slice(0, Math.max(20, (process.stderr.columns ?? 80) - 1))}`);
            else bar.update({ note: ` · ${phase}` });
            return;
          }
          const values = { loss: fmtNum(e.loss), evalLoss: fmtNum(e.evalLoss), note: '' };
          if (bar && !started) {
            bar.start(e.epochs, e.epoch, values);
            started = true;
          } else if (bar) bar.update(e.epoch, values);
          else if (!opts.json) process.stderr.write(`${phase.replace(/^Epoch/, 'epoch')}: loss ${values.loss}, eval loss ${values.evalLoss}\n`);
        },
      },
      (ctx) => ops.train(ws, { ...(model !== undefined ? { model } : {}) }, ctx),
    );
  } finally {
    bar?.stop();
  }
  if (opts.json) {
    const { model: name, version, metrics, blessed, backend, rows, evaluation, safeness } = outcome;
    process.stdout.write(JSON.stringify({ model: name, version, metrics, blessed, backend, rows, blessing: evaluation.blessing, safeness, baseline: evaluation.baseline.metrics }, null, 2) + '\n');
  } else process.stdout.write(trainText(outcome));
  return outcome.blessed ? EXIT.ok : EXIT.failed;
}

function trainText(o: TrainOutcome): string {
  const lines = [
    o.imported
      ? `${o.model} version ${o.version}: ${o.imported.registered ? `imported from ${o.imported.file}` : `${o.imported.file} unchanged since this version; nothing registered`}, checked on ${o.rows.eval.toLocaleString('en-US')} rows (onnxruntime)`
      : `${o.model} version ${o.version}: trained on ${o.rows.train.toLocaleString('en-US')} rows, evaluated on ${o.rows.eval.toLocaleString('en-US')} (backend ${o.backend})`,
    '',
    `${'metric'.padEnd(14)} ${'model'.padStart(10)} ${'baseline'.padStart(10)}`,
    ...o.evaluation.comparison.map((c) => `${c.metric.padEnd(14)} ${fmtNum(c.model).padStart(10)} ${fmtNum(c.baseline).padStart(10)}`),
    `(baseline: ${o.evaluation.baseline.description})`,
    '',
  ];
  for (const c of o.evaluation.blessing?.checks ?? []) lines.push(`${c.passed ? '✓' : '✗'} ${c.description}`);
  lines.push(`${o.safeness.passed ? '✓' : '✗'} safeness: ${o.safeness.reason}`);
  lines.push(o.blessed ? `BLESSED: ${o.model}:${o.version} may be promoted (prodml models promote ${o.model}:${o.version})` : `NOT BLESSED: ${o.model}:${o.version} is registered but must not be promoted`);
  return lines.join('\n') + '\n';
}
