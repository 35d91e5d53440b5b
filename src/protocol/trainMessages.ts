/**
 * The contract between the extension host and the training webview, validated on both sides.
 */
import { z } from 'zod';
import { epochSchema } from './engineMessages';

export const trainResultSchema = z.object({
  version: z.number(),
  blessed: z.boolean(),
  backend: z.string(),
  rows: z.object({ train: z.number(), eval: z.number() }),
  comparison: z.array(
    // label, modelText, baselineText: the metric's name and numbers as the host formats them for people.
    z.object({ metric: z.string(), model: z.number().nullable(), baseline: z.number().nullable(), label: z.string().optional(), modelText: z.string().optional(), baselineText: z.string().optional() }),
  ),
  checks: z.array(z.object({ passed: z.boolean(), description: z.string() })),
  baseline: z.string(),
});
export type TrainResultMessage = z.infer<typeof trainResultSchema>;

export const trainHostToWebviewSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('state'),
    model: z.string(),
    status: z.enum(['running', 'done', 'failed', 'cancelled']),
    phase: z.string(),
    epochs: z.array(epochSchema),
    /** Vega-Lite spec of the loss curves, built on the host (src/core/report/trainCharts.ts). */
    chart: z.record(z.string(), z.unknown()),
    result: trainResultSchema.optional(),
    error: z.string().optional(),
  }),
]);
export type TrainHostToWebview = z.infer<typeof trainHostToWebviewSchema>;

export const trainWebviewToHostSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('ready') }), z.object({ type: z.literal('cancel') })]);
export type TrainWebviewToHost = z.infer<typeof trainWebviewToHostSchema>;
