/**
 * The contract between the extension host and report webviews (version comparison, monitoring
 * dashboard): the host sends the whole page as sections of tables, charts (Vega-Lite specs built
 * on the host) and alerts; the webview sends back which action button was pressed. Both sides
 * validate every message with these schemas.
 */
import { z } from 'zod';
import type { ReportSection as CoreReportSection } from '../core/report/reportSection';

const cell = z.union([z.string(), z.number(), z.null()]);

export const reportTableSchema = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(cell)),
  /** Per row: highlight it (e.g. a window with an alert, the better version). */
  marks: z.array(z.enum(['none', 'good', 'bad'])).optional(),
});

export const reportSectionSchema = z.object({
  title: z.string(),
  note: z.string().optional(),
  alerts: z.array(z.object({ severity: z.enum(['error', 'warning', 'info']), text: z.string() })).optional(),
  table: reportTableSchema.optional(),
  charts: z.array(z.object({ title: z.string(), spec: z.record(z.string(), z.unknown()) })).optional(),
});
export type ReportSection = z.infer<typeof reportSectionSchema>;

export const reportActionSchema = z.object({ id: z.string().regex(/^[a-z][a-zA-Z0-9-]*$/), label: z.string(), secondary: z.boolean().optional() });
export type ReportAction = z.infer<typeof reportActionSchema>;

export const reportHostToWebviewSchema = z.object({
  type: z.literal('state'),
  title: z.string(),
  status: z.enum(['loading', 'ready', 'failed']),
  message: z.string().optional(),
  sections: z.array(reportSectionSchema),
  actions: z.array(reportActionSchema),
});
export type ReportHostToWebview = z.infer<typeof reportHostToWebviewSchema>;

export const reportWebviewToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('action'), id: z.string().regex(/^[a-z][a-zA-Z0-9-]*$/) }),
]);
export type ReportWebviewToHost = z.infer<typeof reportWebviewToHostSchema>;

/** The core builds pages as src/core/report/reportSection.ts types; this schema must accept every one of them. */
type AcceptsCoreSections = CoreReportSection extends ReportSection ? true : never;
export const acceptsCoreSections: AcceptsCoreSections = true;
