/**
 * A second `prodml demo` must tell the same story as the first: the previous run's served
 * predictions, registered versions, pipeline runs, quarantined batches and ingested months
 * would otherwise pile up. So a folder a demo already wrote is cleared of everything the demo
 * writes before it is generated again; whatever else a person put there stays.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { STATE_DIR } from '../project/paths';
import { isDemoWorkspace } from './workspace';

/** What `prodml demo` writes at the top of its folder (the marker is rewritten, not removed). */
export const DEMO_OUTPUTS = [STATE_DIR, 'data', 'schemas', 'prodml.yaml', 'README.md'] as const;

/** Clears an earlier demo run out of `dir`; true when there was one. */
export async function resetDemoWorkspace(dir: string): Promise<boolean> {
  const root = path.resolve(dir);
  if (!(await isDemoWorkspace(root))) return false;
  for (const entry of DEMO_OUTPUTS) await rm(path.join(root, entry), { recursive: true, force: true });
  return true;
}
