import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DuckSession } from '../core/data/duckdb';
import { openSource, readRoot } from '../core/data/source';
import { badInput } from '../core/errors';
import { inferSchema } from '../core/schema/infer';
import { schemaToYaml } from '../core/schema/io';
import { writeFileAtomic } from '../core/project/atomicWrite';
import { action } from './run';

export interface SchemaInferOptions {
  output?: string;
  label?: string;
  force?: boolean;
}

export function registerSchemaCommand(program: Command): void {
  const schema = program.command('schema').description('Infer dataset schemas (*.schema.yaml)');
  schema
    .command('infer')
    .description('Infer a schema from a dataset: types, presence, domains, ranges, drift and skew checks')
    .argument('<data>', 'data file or glob')
    .option('-o, --output <file.schema.yaml>', 'write the schema to this file (default: print it)')
    .option('--label <column>', 'the label column: marked as absent in SERVING')
    .option('--force', 'replace the output file if it exists')
    .action(action(schemaInferCommand));
}

export async function schemaInferCommand(data: string, opts: SchemaInferOptions): Promise<number> {
  // Refuse before the work, not after: a long inference should not end in "file exists".
  if (opts.output && !opts.force && fs.existsSync(opts.output)) {
    throw badInput(opts.output, 'already exists; use --force to replace it');
  }
  const source = await openSource(data);
  const session = await DuckSession.open({ allowedDirectories: [process.cwd(), readRoot(data)] });
  let text: string;
  let features: number;
  try {
    const inferred = await inferSchema(session, source, { label: opts.label });
    text = schemaToYaml(inferred.schema, inferred.notes);
    features = Object.keys(inferred.schema.features).length;
  } finally {
    session.close();
  }
  if (!opts.output) {
    process.stdout.write(text);
    return 0;
  }
  await writeFileAtomic(opts.output, text, { noClobber: !opts.force });
  process.stdout.write(`Wrote ${opts.output} (${features} features). Check a batch with: prodml validate <data> --schema ${path.normalize(opts.output)}\n`);
  return 0;
}
