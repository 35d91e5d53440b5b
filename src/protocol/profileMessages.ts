/**
 * The one contract between the extension host and the profile webview. Both sides import it and
 * both validate what they receive: a webview is untrusted input, and a stale webview can send an
 * old shape after an update.
 */
import { z } from 'zod';

const warning = z.object({ code: z.string(), message: z.string() });

export const columnViewSchema = z.object({
  name: z.string(),
  type: z.string(),
  duckdbType: z.string(),
  warnings: z.array(warning),
  compareWarnings: z.array(warning),
  stats: z.array(z.object({ label: z.string(), values: z.array(z.string()) })),
  /** A Vega-Lite spec built on the host (src/core/report/profileCharts.ts). */
  spec: z.record(z.string(), z.unknown()),
});

export const profileViewSchema = z.object({
  title: z.string(),
  datasets: z.array(z.object({ label: z.string(), rows: z.string(), columns: z.number(), elapsed: z.string() })),
  columns: z.array(columnViewSchema),
});

export type ProfileViewMessage = z.infer<typeof profileViewSchema>;

export const hostToWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('loading'), title: z.string(), phase: z.string(), fraction: z.number().min(0).max(1) }),
  z.object({ type: z.literal('profile'), view: profileViewSchema }),
  z.object({ type: z.literal('error'), title: z.string(), message: z.string() }),
]);
export type HostToWebview = z.infer<typeof hostToWebviewSchema>;

export const webviewToHostSchema = z.discriminatedUnion('type', [
  /** Sent once the script has loaded; the host sends nothing before it (the ready handshake). */
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('compare') }),
  z.object({ type: z.literal('clearCompare') }),
  z.object({ type: z.literal('cancel') }),
  /** Profile again, e.g. after fixing the file an error named. */
  z.object({ type: z.literal('retry') }),
  z.object({ type: z.literal('exportHtml') }),
]);
export type WebviewToHost = z.infer<typeof webviewToHostSchema>;
