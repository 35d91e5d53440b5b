import { InvalidArgumentError, type Command } from 'commander';
import { importPredictionLogs } from '../core/ops';
import { action, workspaceOf, workspaceOption } from './run';

/** `prodml logs import`: the logic is core/serve/importLogs.ts. */
export function registerLogsCommand(program: Command): void {
  const logs = program.command('logs').description('The prediction log: bring in predictions logged by another serving system');
  workspaceOption(logs.command('import'))
    .description('Append predictions logged elsewhere to a model\'s prediction log (the same file twice adds nothing); monitoring then covers them')
    .argument('<file>', 'a CSV, Parquet or JSON-lines file, one prediction per row')
    .requiredOption('--model <name>', 'the model the predictions belong to')
    .requiredOption('--time-column <column>', 'when each prediction was made')
    .option('--prediction-column <column>', 'the prediction (default: prediction)')
    .option('--label-column <column>', 'the true outcome, where known')
    .option('--id-column <column>', 'a request id: a row whose id is already logged is skipped')
    .option('--version <v>', "the registry version that predicted (default: production's)", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a version number');
      return n;
    })
    .option('--json', 'print { rows, added, skipped, labels } as one JSON document')
    .action(
      action(async (file: string, opts: { model: string; timeColumn: string; predictionColumn?: string; labelColumn?: string; idColumn?: string; version?: number; workspace?: string; json?: boolean }) => {
        const ws = await workspaceOf(opts, false);
        const r = await importPredictionLogs(ws, {
          file,
          model: opts.model,
          timeColumn: opts.timeColumn,
          ...(opts.predictionColumn ? { predictionColumn: opts.predictionColumn } : {}),
          ...(opts.labelColumn ? { labelColumn: opts.labelColumn } : {}),
          ...(opts.idColumn ? { idColumn: opts.idColumn } : {}),
          ...(opts.version !== undefined ? { version: opts.version } : {}),
        });
        if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else process.stdout.write(`${r.model}: ${r.added.toLocaleString('en-US')} of ${r.rows.toLocaleString('en-US')} predictions added to the log (version ${r.version})${r.skipped > 0 ? `, ${r.skipped} already there` : ''}${r.labels > 0 ? `, ${r.labels} with labels` : ''}\n`);
      }),
    );
}
