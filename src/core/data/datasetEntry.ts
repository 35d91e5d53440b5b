/**
 * Where a dataset is written in prodml.yaml: the range of one of its keys' values (or of its
 * name), so that findings about a database dataset (an unreachable source, its anomalies) land
 * on its entry. Light: only the yaml parser, so the extension host may use it.
 */
import { isMap, isNode, LineCounter, parseDocument } from 'yaml';

export interface EntryRange {
  /** 0-based line and characters. */
  line: number;
  start: number;
  end: number;
}

/** The range of `datasets.<name>.<key>`'s value, else of the dataset's name; undefined when it is not there. */
export function datasetEntryRange(text: string, name: string, key?: string): EntryRange | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const datasets = doc.get('datasets', true);
  if (!isMap(datasets)) return undefined;
  const pair = datasets.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === name);
  if (!pair) return undefined;
  const value = key !== undefined && isMap(pair.value) ? pair.value.get(key, true) : undefined;
  const node = isNode(value) ? value : isNode(pair.key) ? pair.key : undefined;
  if (!node?.range) return undefined;
  const [from, to] = node.range;
  const at = counter.linePos(from);
  const end = counter.linePos(to);
  return { line: at.line - 1, start: at.col - 1, end: end.line === at.line ? end.col - 1 : at.col - 1 + name.length };
}
