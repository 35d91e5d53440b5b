import fs from 'node:fs';
import { badInput } from '../errors';
import { writeFileAtomic } from '../project/atomicWrite';
import type { Workspace } from '../project/workspace';
import { inferSchema as infer } from '../schema/infer';
import { schemaToYaml } from '../schema/io';
import type { OpContext } from './context';
import { profiled, resolvePath, withInput, withSession } from './session';

export interface InferSchemaRequest {
  data: string;
  label?: string;
  /** Where to write it; without it the YAML is only returned. */
  out?: string;
  /** Replace `out` if it exists. */
  force?: boolean;
}

export interface InferSchemaResult {
  yaml: string;
  features: number;
  /** Absolute path written, when `out` was given. */
  out?: string;
}

export async function inferSchema(ws: Workspace, req: InferSchemaRequest, ctx: OpContext = {}): Promise<InferSchemaResult> {
  const out = req.out !== undefined ? resolvePath(ws, req.out) : undefined;
  // Refuse before the work, not after: a long inference should not end in "file exists".
  if (out && !req.force && fs.existsSync(out)) throw badInput(req.out, 'already exists; use --force to replace it');
  const inferred = await withInput(ws, req.data, (input) => withSession(ws, [req.data], (session) => infer(session, profiled(input), { label: req.label, signal: ctx.signal })), ctx);
  const yaml = schemaToYaml(inferred.schema, inferred.notes);
  if (out) await writeFileAtomic(out, yaml, { noClobber: !req.force });
  return { yaml, features: Object.keys(inferred.schema.features).length, ...(out ? { out } : {}) };
}
