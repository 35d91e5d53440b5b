/**
 * The editor's check of prodml.yaml's database datasets: each one is reached (connect, then its
 * table or query described, no rows read) and a failure becomes a problem on the dataset's
 * `url:` line, worded like the CLI's message, without a secret.
 */
import type { ProjectConfig } from '../project/config';
import { dbSpecOf } from './dataset';
import { openDbSource } from './dbSource';
import { datasetEntryRange } from './datasetEntry';

export interface SourceProblem {
  dataset: string;
  /** 0-based line and character range of the entry's url: value (or its key line). */
  line: number;
  start: number;
  end: number;
  message: string;
}

export async function checkDbDatasets(text: string, config: ProjectConfig, opts: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}): Promise<SourceProblem[]> {
  const dbs = config.datasets.filter((d) => d.url);
  if (dbs.length === 0) return [];
  const problems: SourceProblem[] = [];
  await Promise.all(
    dbs.map(async (d) => {
      try {
        const opened = await openDbSource(dbSpecOf(d), config.root, opts);
        await opened.close();
      } catch (e) {
        const at = datasetEntryRange(text, d.name, 'url') ?? { line: 0, start: 0, end: 0 };
        problems.push({
          dataset: d.name,
          ...at,
          message: e instanceof Error ? e.message : String(e),
        });
      }
    }),
  );
  return problems.sort((a, b) => a.line - b.line);
}
