/**
 * Requests from the extension host to the engine process (dist/engine.js), which runs DuckDB so
 * that heavy work and native code stay off the extension host.
 */
import { z } from 'zod';

/** `data` and `compare` are paths relative to `cwd` (the workspace folder) or absolute. */
export const engineRequestSchema = z.discriminatedUnion('method', [
  z.object({
    id: z.number(),
    method: z.literal('profile'),
    params: z.object({ data: z.string(), compare: z.string().optional(), cwd: z.string(), allowedDirectories: z.array(z.string()) }),
  }),
  z.object({
    id: z.number(),
    method: z.literal('profileHtml'),
    params: z.object({ data: z.string(), compare: z.string().optional(), cwd: z.string(), allowedDirectories: z.array(z.string()), out: z.string() }),
  }),
  z.object({
    id: z.number(),
    method: z.literal('columns'),
    params: z.object({ data: z.string(), cwd: z.string(), allowedDirectories: z.array(z.string()) }),
  }),
  z.object({
    id: z.number(),
    method: z.literal('inferSchema'),
    params: z.object({
      data: z.string(),
      cwd: z.string(),
      allowedDirectories: z.array(z.string()),
      label: z.string().optional(),
      out: z.string(),
      force: z.boolean(),
    }),
  }),
  z.object({ id: z.number(), method: z.literal('models'), params: z.object({ root: z.string() }) }),
  z.object({ id: z.number(), method: z.literal('train'), params: z.object({ root: z.string(), model: z.string() }) }),
  z.object({
    id: z.number(),
    method: z.literal('predict'),
    params: z.object({ root: z.string(), model: z.string(), input: z.string(), output: z.string(), allowedDirectories: z.array(z.string()) }),
  }),
  z.object({
    id: z.number(),
    method: z.literal('compareVersions'),
    params: z.object({ root: z.string(), model: z.string(), a: z.number(), b: z.number(), data: z.string().optional() }),
  }),
  z.object({
    id: z.number(),
    method: z.literal('labels'),
    params: z.object({ root: z.string(), model: z.string(), file: z.string(), allowedDirectories: z.array(z.string()) }),
  }),
  z.object({ id: z.number(), method: z.literal('runPipeline'), params: z.object({ root: z.string(), step: z.enum(['ingest', 'validate', 'train', 'evaluate', 'register', 'promote']).optional() }) }),
  z.object({ id: z.number(), method: z.literal('adviseServing'), params: z.object({ root: z.string(), model: z.string(), data: z.string().optional(), key: z.string().optional() }) }),
  z.object({
    id: z.number(),
    method: z.literal('staticTable'),
    params: z.object({ root: z.string(), model: z.string(), input: z.string(), allowedDirectories: z.array(z.string()) }),
  }),
  z.object({ id: z.number(), method: z.literal('importance'), params: z.object({ root: z.string(), model: z.string(), leaveOneOut: z.boolean() }) }),
  z.object({ id: z.number(), method: z.literal('leakage'), params: z.object({ root: z.string(), model: z.string() }) }),
  z.object({ id: z.number(), method: z.literal('pipelineInfo'), params: z.object({ root: z.string() }) }),
  z.object({ id: z.number(), method: z.literal('tune'), params: z.object({ root: z.string(), model: z.string(), trials: z.number().int().positive().optional() }) }),
  z.object({ id: z.number(), method: z.literal('registerBestTrial'), params: z.object({ root: z.string(), model: z.string(), study: z.string() }) }),
  z.object({ id: z.number(), method: z.literal('monitor'), params: z.object({ root: z.string(), model: z.string() }) }),
  z.object({ id: z.number(), method: z.literal('export'), params: z.object({ root: z.string(), model: z.string(), format: z.enum(['onnx', 'web']), out: z.string() }) }),
  z.object({ id: z.number(), method: z.literal('cancel'), params: z.object({ target: z.number() }) }),
]);
export type EngineRequest = z.infer<typeof engineRequestSchema>;

export const epochSchema = z.object({ epoch: z.number(), epochs: z.number(), loss: z.number(), evalLoss: z.number() });
export type Epoch = z.infer<typeof epochSchema>;

export const engineResponseSchema = z.union([
  z.object({ id: z.number(), progress: z.object({ fraction: z.number(), phase: z.string(), epoch: epochSchema.optional(), partial: z.unknown().optional() }) }),
  z.object({ id: z.number(), result: z.unknown() }),
  z.object({ id: z.number(), error: z.object({ kind: z.string(), message: z.string() }) }),
]);
export type EngineResponse = z.infer<typeof engineResponseSchema>;
