/**
 * The editor's check of prodml.yaml's database datasets: each one is reached (connect, then its
 * table or query described, no rows read) and a failure becomes a problem on the dataset's
 * `url:` line, worded like the CLI's message, without a secret.
 */
import { parseDocument, isMap, isNode, LineCounter } from 'yaml';
import type { ProjectConfig } from '../project/config';
import { dbSpecOf } from './dataset';
import { openDbSource } from './dbSource';

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
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const problems: SourceProblem[] = [];
  await Promise.all(
    dbs.map(async (d) => {
      try {
        const opened = await openDbSource(dbSpecOf(d), config.root, opts);
        await opened.close();
      } catch (e) {
        const entry = doc.getIn(['datasets', d.name], true);
        const url = isMap(entry) ? entry.get('url', true) : undefined;
        const node = isNode(url) ? url : isNode(entry) ? entry : undefined;
        const [from, to] = node?.range ?? [0, 0];
        const at = counter.linePos(from);
        const end = counter.linePos(to);
        problems.push({
          dataset: d.name,
          line: at.line - 1,
          start: at.col - 1,
          end: end.line === at.line ? end.col - 1 : at.col - 1 + (d.url?.length ?? 0),
          message: e instanceof Error ? e.message : String(e),
        });
      }
    }),
  );
  return problems.sort((a, b) => a.line - b.line);
}
