import fs from 'node:fs/promises';
import path from 'node:path';
import { explainReadError } from '../data/source';
import { profileDatasets } from '../data/profile';
import type { ProfileResult } from '../data/profileTypes';
import { profileHtml } from '../report/profileHtml';
import type { DriftSchema } from '../report/profileDrift';
import { readSchema } from '../schema/io';
import type { Workspace } from '../project/workspace';
import { phaseReporter, type OpContext } from './context';
import type { DataInput } from '../data/dataset';
import { profiled, resolvePath, source, withInput, withSession } from './session';

export interface ProfileRequest {
  data: string;
  compare?: string;
}

/** Profiles a dataset, overlaid on a second one when `compare` is given. */
export async function profile(ws: Workspace, req: ProfileRequest, ctx: OpContext = {}): Promise<ProfileResult> {
  // Either may be a prodml.yaml dataset name; a database dataset is profiled inside its database.
  return withInput(
    ws,
    req.data,
    (base) => {
      const run = (other?: DataInput) => withSession(ws, [req.data, req.compare], (session) => profileDatasets(session, profiled(base), other && profiled(other), { signal: ctx.signal, onProgress: phaseReporter(ctx) }), { preserveInsertionOrder: false });
      return req.compare ? withInput(ws, req.compare, run, ctx) : run();
    },
    ctx,
  );
}

/** Writes the self-contained HTML report of a profile; returns its absolute path. */
export async function writeProfileHtml(ws: Workspace, result: ProfileResult, out: string): Promise<string> {
  const file = resolvePath(ws, out);
  const schema = result.compare ? await datasetSchema(ws, result.source) : undefined;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, await profileHtml(result, new Date(), schema ? { schema } : {}));
  return file;
}

/**
 * The schema prodml.yaml gives the profiled dataset (named, or given by its path), whose drift
 * thresholds the report's comparison applies; undefined when none does.
 */
async function datasetSchema(ws: Workspace, source: string): Promise<DriftSchema | undefined> {
  const d = ws.project?.datasets.find((x) => x.schema && (x.name === source || x.path.includes(source)));
  if (!d?.schema) return undefined;
  return { features: (await readSchema(path.resolve(ws.root, d.schema))).features, file: d.schema };
}

/** The columns of a dataset, in order (pickers: the label, a key). */
export async function columns(ws: Workspace, req: { data: string }): Promise<{ columns: string[] }> {
  const dbColumns = await withInput(ws, req.data, async (input) => (input.kind === 'db' ? (await input.opened.engine.describe(input.opened.source.from)).map((c) => c.name) : undefined));
  if (dbColumns) return { columns: dbColumns };
  const src = await source(ws, req.data);
  return withSession(ws, [req.data], async (session) => {
    const rows = await session.rows(`DESCRIBE SELECT * FROM ${src.scan}`).catch(async (e: unknown) => {
      throw await explainReadError(e, src);
    });
    return { columns: rows.map((r) => String(r['column_name'])) };
  });
}
