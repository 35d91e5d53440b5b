import path from 'node:path';
import type { Command } from 'commander';
import * as ops from '../core/ops';
import { action, withCancel, workspaceOf, workspaceOption } from './run';

export interface SchemaInferOptions {
  output?: string;
  label?: string;
  force?: boolean;
  workspace?: string;
}

export function registerSchemaCommand(program: Command): void {
  const schema = program.command('schema').description('Infer dataset schemas (*.schema.yaml)');
  workspaceOption(
    schema
    .command('infer')
    .description('Infer a schema from a dataset: types, presence, domains, ranges, drift and skew checks')
    .argument('<data>', 'data file or glob, or a dataset name from prodml.yaml')
    .option('-o, --output <file.schema.yaml>', 'write the schema to this file (default: print it)')
    .option('--label <column>', 'the label column: marked as absent in SERVING')
    .option('--force', 'replace the output file if it exists'),
  ).action(action(schemaInferCommand));
}

export async function schemaInferCommand(data: string, opts: SchemaInferOptions): Promise<number> {
  const ws = await workspaceOf(opts, false);
  const r = await withCancel({ bar: false }, (ctx) => ops.inferSchema(ws, { data, ...(opts.label ? { label: opts.label } : {}), ...(opts.output ? { out: opts.output } : {}), ...(opts.force ? { force: true } : {}) }, ctx));
  if (!opts.output) {
    process.stdout.write(r.yaml);
    return 0;
  }
  process.stdout.write(`Wrote ${opts.output} (${r.features} features). Check a batch with: prodml validate <data> --schema ${path.normalize(opts.output)}\n`);
  return 0;
}
