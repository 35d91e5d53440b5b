/** One file of the generated demo workspace, as the narration and the README describe it. */
import type { DemoDefect } from './defects';

export type DemoFileKind = 'train' | 'serving' | 'incoming' | 'stream' | 'config' | 'readme' | 'marker';

export interface DemoFile {
  /** Relative to the workspace root, with `/` separators. */
  path: string;
  kind: DemoFileKind;
  /** Data rows (header excluded); data files only. */
  rows?: number;
  /** Header of a data file, in order. */
  columns?: string[];
  /** First and last event_date in a data file (YYYY-MM-DD). */
  dateRange?: { min: string; max: string };
  description: string;
  /** Set on the broken incoming batches only. */
  defect?: DemoDefect;
}
