/**
 * The demo workspace ready to use: the generated data plus the schema inferred from its
 * training batches, where the demo prodml.yaml says the schema lives.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckSession } from '../data/duckdb';
import { openSource } from '../data/source';
import { inferSchema } from '../schema/infer';
import { schemaToYaml } from '../schema/io';
import { NATALITY_LABEL } from './natality';
import { writeDemoWorkspace, type DemoManifest } from './workspace';

export const DEMO_SCHEMA = 'schemas/natality.schema.yaml';
export const DEMO_TRAIN_GLOB = 'data/train/*.csv';

export async function prepareDemoWorkspace(dir: string, opts: { seed?: number; rowsPerMonth?: number } = {}): Promise<DemoManifest & { schemaFile: string }> {
  const manifest = await writeDemoWorkspace(dir, opts);
  const session = await DuckSession.open({ allowedDirectories: [dir] });
  try {
    const inferred = await inferSchema(session, await openSource(DEMO_TRAIN_GLOB, dir), { label: NATALITY_LABEL });
    const schemaFile = path.join(dir, DEMO_SCHEMA);
    await fs.mkdir(path.dirname(schemaFile), { recursive: true });
    await fs.writeFile(schemaFile, schemaToYaml(inferred.schema, inferred.notes));
    return { ...manifest, schemaFile };
  } finally {
    session.close();
  }
}
