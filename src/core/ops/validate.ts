import type { Workspace } from '../project/workspace';
import { readSchema } from '../schema/io';
import { validationSarif } from '../schema/sarif';
import type { ValidationResult } from '../schema/types';
import { validateData } from '../schema/validate';
import type { OpContext } from './context';
import { source, userPath, withSession } from './session';

export interface ValidateRequest {
  data: string;
  schema: string;
  baseline?: string;
  environment?: string;
  maxRowDiagnostics?: number;
}

/** Checks a batch against its schema (and drift or skew against a baseline). */
export async function validate(ws: Workspace, req: ValidateRequest, ctx: OpContext = {}): Promise<ValidationResult> {
  const schema = await readSchema(userPath(ws, req.schema));
  const src = await source(ws, req.data);
  const baseline = req.baseline ? await source(ws, req.baseline) : undefined;
  return withSession(ws, [req.data, req.baseline], (session) =>
    validateData(session, src, schema, {
      baseline,
      environment: req.environment,
      ...(req.maxRowDiagnostics !== undefined ? { maxRowDiagnostics: req.maxRowDiagnostics } : {}),
      signal: ctx.signal,
    }),
  );
}

export { validationSarif };
