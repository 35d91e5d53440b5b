import type { Workspace } from '../project/workspace';
import { readSchema } from '../schema/io';
import { validationSarif } from '../schema/sarif';
import type { ValidationResult } from '../schema/types';
import { validateData } from '../schema/validate';
import type { OpContext } from './context';
import path from 'node:path';
import type { DataInput } from '../data/dataset';
import { fileRelation } from '../data/profile';
import { badInput } from '../errors';
import { governingSchema } from '../project/config';
import { validateRelation } from '../schema/pushdown';
import { userPath, withInput, withSession } from './session';

/**
 * DuckDB's memory for a validation. Parquet is checked in place; the rows of other formats are
 * copied into DuckDB, which spills them to a private temporary directory past this.
 */
const VALIDATE_MEMORY_MB = 1024;

export interface ValidateRequest {
  data: string;
  /** Required for files; for a prodml.yaml dataset name its `schema:` is the default. */
  schema?: string;
  baseline?: string;
  environment?: string;
  maxRowDiagnostics?: number;
}

/** Checks a batch against its schema (and drift or skew against a baseline). */
export async function validate(ws: Workspace, req: ValidateRequest, ctx: OpContext = {}): Promise<ValidationResult & { schema: string }> {
  return withInput(
    ws,
    req.data,
    async (input) => {
      // A dataset name brings its schema, baseline and environment from prodml.yaml.
      const dataset = input.dataset;
      // A single file brings the schema that governs it (x.schema.yaml beside it, or its dataset's).
      const governing = req.schema === undefined && !dataset?.schema && input.kind === 'file' && !/[*?[]/.test(input.source.path) ? await governingSchema(input.source.path, ws.root, ws.project) : undefined;
      const schemaFile =
        req.schema !== undefined
          ? userPath(ws, req.schema)
          : dataset?.schema
            ? path.relative(ws.cwd, path.join(ws.root, dataset.schema)) || dataset.schema
            : governing
              ? path.relative(ws.cwd, governing.schemaFile) || governing.schemaFile
              : undefined;
      if (schemaFile === undefined) throw badInput(req.data, dataset ? `datasets.${dataset.name} has no schema:; give --schema <file.schema.yaml>` : 'no schema governs it (no <name>.schema.yaml beside it, no prodml.yaml dataset with a schema:); give --schema <file.schema.yaml>');
      const schema = await readSchema(path.resolve(ws.cwd, schemaFile));
      const environment = req.environment ?? dataset?.environment ?? governing?.environment;
      const baselineArg = req.baseline ?? (dataset?.baseline ? path.relative(ws.cwd, path.join(ws.root, dataset.baseline)) || dataset.baseline : governing?.baseline ? path.relative(ws.cwd, governing.baseline) || governing.baseline : undefined);
      const run = (baseline?: DataInput) =>
        withSession(ws, [req.data, baselineArg], (session) => {
          // A database dataset is validated where it lives (and so is a file against a database baseline).
          if (input.kind === 'db' || baseline?.kind === 'db') {
            const rel = (i: DataInput) => (i.kind === 'db' ? i.opened.relation : fileRelation(session, i.source));
            return validateRelation(rel(input), schema, { ...(baseline ? { baseline: rel(baseline) } : {}), environment, signal: ctx.signal });
          }
          return validateData(session, input.source, schema, {
            ...(baseline?.kind === 'file' ? { baseline: baseline.source } : {}),
            environment,
            ...(req.maxRowDiagnostics !== undefined ? { maxRowDiagnostics: req.maxRowDiagnostics } : {}),
            signal: ctx.signal,
          });
        }, { memoryLimitMb: VALIDATE_MEMORY_MB });
      const result = baselineArg ? await withInput(ws, baselineArg, run, ctx) : await run();
      return { ...result, schema: schemaFile };
    },
    ctx,
  );
}

export { validationSarif };
