/**
 * prodml.yaml's database datasets listed for the editor's pickers (URL redacted). Light: the
 * extension host loads it, so no database driver is reachable from here.
 */
import { redactUrl } from '../data/dbUrl';
import { loadProjectConfig } from '../project/config';

export interface DatabaseDataset {
  name: string;
  /** The redacted URL and the table (or "query"). */
  description: string;
}

export async function databaseDatasets(root: string): Promise<DatabaseDataset[]> {
  const config = await loadProjectConfig(root).catch(() => undefined);
  return (config?.datasets ?? []).filter((d) => d.url).map((d) => ({ name: d.name, description: `${redactUrl(d.url!)}${d.table ? `, table ${d.table}` : ', query'}` }));
}

export { datasetEntryRange, type EntryRange } from '../data/datasetEntry';
