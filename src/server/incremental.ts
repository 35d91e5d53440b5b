/**
 * Re-checking only what an edit touched: the changed lines are validated on their own (header +
 * those lines, through the same validateData), and the findings of the rest of the file are kept,
 * shifted if lines were added or removed. Column-level findings (presence, drift, counts) are
 * refreshed by the full check that follows when typing pauses.
 */
import { isRowLevel, type Anomaly } from '../core/ops/language';

/** 0-based line ranges, ends exclusive: [start, oldEnd) of the old text became [start, newEnd). */
export interface Region {
  start: number;
  oldEnd: number;
  newEnd: number;
}

export function changedRegion(oldLines: readonly string[], newLines: readonly string[]): Region {
  let start = 0;
  const min = Math.min(oldLines.length, newLines.length);
  while (start < min && oldLines[start] === newLines[start]) start++;
  let tail = 0;
  while (tail < min - start && oldLines[oldLines.length - 1 - tail] === newLines[newLines.length - 1 - tail]) tail++;
  return { start, oldEnd: oldLines.length - tail, newEnd: newLines.length - tail };
}

/**
 * The previous findings outside the region (shifted by the change in line count) plus the fresh
 * findings of the region's lines, which were checked as lines 2.. of a header-plus-region file.
 */
export function mergeRegion(previous: readonly Anomaly[], region: Region, fresh: readonly Anomaly[]): Anomaly[] {
  const delta = region.newEnd - region.oldEnd;
  const kept: Anomaly[] = [];
  for (const a of previous) {
    if (!isRowLevel(a) || a.line === undefined) {
      kept.push(a);
      continue;
    }
    const i = a.line! - 1;
    if (i < region.start) kept.push(a);
    else if (i >= region.oldEnd) kept.push({ ...a, line: a.line! + delta });
  }
  for (const a of fresh) if (isRowLevel(a) && a.line !== undefined) kept.push({ ...a, line: a.line! - 2 + region.start + 1 });
  return kept.sort((x, y) => (x.line ?? 0) - (y.line ?? 0) || (x.column ?? 0) - (y.column ?? 0));
}
