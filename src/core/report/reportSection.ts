/**
 * A report page as sections: tables, Vega-Lite charts and alerts. The core builds them (one page
 * builder per report: comparison, monitoring, advice, tuning, the checks); src/protocol validates
 * them on their way to the report webview, whose schema is checked against these types.
 */
export type ReportCell = string | number | null;

export interface ReportTable {
  columns: string[];
  rows: ReportCell[][];
  /** Per row: highlight it (e.g. a window with an alert, the better version). */
  marks?: ('none' | 'good' | 'bad')[];
}

export interface ReportChart {
  title: string;
  /** A Vega-Lite spec as JSON (src/core/report/vegaSpec.ts). */
  spec: Record<string, unknown>;
}

export interface ReportSection {
  title: string;
  note?: string;
  alerts?: { severity: 'error' | 'warning' | 'info'; text: string }[];
  table?: ReportTable;
  charts?: ReportChart[];
}
