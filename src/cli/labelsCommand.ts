import path from 'node:path';
import type { Command } from 'commander';
import * as ops from '../core/ops';
import { action, workspaceOf, workspaceOption } from './run';

export function registerLabelsCommand(program: Command): void {
  const labels = program.command('labels').description('Ground truth that arrives after the predictions');
  workspaceOption(
    labels
    .command('add')
    .description("Add labels (by request_id or the model's serving key) to join to the prediction log")
    .argument('<file>', 'CSV, Parquet or JSON Lines with request_id or the key column, and the label column')
    .requiredOption('--model <name>', 'the model the labels are for')
    .option('--key <column>', "the column that joins to the logged key (default: the model's serving.key)")
    .option('--label <column>', "the label column (default: the model's label)")
    .option('--json', 'print the result as one JSON document'),
  ).action(action(labelsAddCommand));
}

export async function labelsAddCommand(file: string, opts: { model: string; key?: string; label?: string; workspace?: string; json?: boolean }): Promise<number> {
  const ws = await workspaceOf(opts);
  const root = ws.root;
  {
    const r = await ops.addLabels(ws, { model: opts.model, file, ...(opts.key ? { key: opts.key } : {}), ...(opts.label ? { label: opts.label } : {}) });
    const rel = path.relative(root, r.file);
    if (opts.json) {
      process.stdout.write(JSON.stringify({ model: opts.model, ...r, file: rel }, null, 2) + '\n');
    } else {
      const skipped = r.skipped > 0 ? `; ${r.skipped.toLocaleString('en-US')} rows without a ${r.joinedBy} or label were skipped` : '';
      process.stdout.write(
        `${opts.model}: added ${r.added.toLocaleString('en-US')} labels by ${r.joinedBy} to ${rel}; ${r.matched.toLocaleString('en-US')} match a logged prediction, ${r.unmatched.toLocaleString('en-US')} do not (yet)${skipped}\n`,
      );
    }
    return 0;
  }
}
