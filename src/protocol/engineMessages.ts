/**
 * The contract between the extension host and the engine process (dist/engine.js), which runs
 * DuckDB and tfjs off the extension host. Each method is declared once here, with the schema of
 * its params and of its result; the worker implements the table `EngineMethods`, the client's
 * `request(method, params)` is typed by it, and both sides validate what they receive.
 */
import { z } from 'zod';
import type { RunRecord } from '../core/pipeline/runTypes';
import type { ProfileResult } from '../core/data/profileTypes';
import type { LeakageFinding } from '../core/checks/types';
import { reportSectionSchema } from './reportMessages';
import { profileViewSchema } from './profileMessages';

const dirs = z.array(z.string());
/** `data` and `compare` are paths relative to `cwd` (the workspace folder) or absolute. */
const dataParams = { data: z.string(), cwd: z.string(), allowedDirectories: dirs };

/** A JSON object whose top-level shape `check` vouches for; the rest is typed by the core's own type. */
function shaped<T>(what: string, check: (o: Record<string, unknown>) => boolean) {
  return z.custom<T>((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && check(v as Record<string, unknown>), { message: `not ${what}` });
}

const page = { note: z.string(), sections: z.array(reportSectionSchema) };
const versionStep = z.number().int().positive();

export const engineMethods = {
  profile: {
    params: z.object({ ...dataParams, compare: z.string().optional() }),
    result: z.object({ result: shaped<ProfileResult>('a profile', (o) => typeof o['rows'] === 'number' && Array.isArray(o['columns'])), view: profileViewSchema }),
  },
  profileHtml: {
    params: z.object({ ...dataParams, compare: z.string().optional(), out: z.string() }),
    result: z.object({ out: z.string() }),
  },
  columns: {
    params: z.object(dataParams),
    result: z.object({ columns: z.array(z.string()) }),
  },
  inferSchema: {
    params: z.object({ ...dataParams, label: z.string().optional(), out: z.string(), force: z.boolean() }),
    result: z.object({ out: z.string(), features: z.number() }),
  },
  models: {
    params: z.object({ root: z.string() }),
    result: z.object({ models: z.array(z.string()) }),
  },
  train: {
    params: z.object({ root: z.string(), model: z.string() }),
    result: z.object({
      version: versionStep,
      blessed: z.boolean(),
      backend: z.string(),
      rows: z.object({ train: z.number(), eval: z.number() }),
      comparison: z.array(z.object({ metric: z.string(), model: z.number().nullable(), baseline: z.number().nullable() })),
      checks: z.array(z.object({ passed: z.boolean(), description: z.string() })),
      baseline: z.string(),
    }),
  },
  predict: {
    params: z.object({ root: z.string(), model: z.string(), input: z.string(), output: z.string(), allowedDirectories: dirs }),
    result: z.object({ rows: z.number(), output: z.string(), seconds: z.number(), version: versionStep }),
  },
  compareVersions: {
    params: z.object({ root: z.string(), model: z.string(), a: z.number(), b: z.number(), data: z.string().optional() }),
    result: z.object(page),
  },
  labels: {
    params: z.object({ root: z.string(), model: z.string(), file: z.string(), allowedDirectories: dirs }),
    result: z.object({ added: z.number(), matched: z.number(), unmatched: z.number() }),
  },
  importModel: {
    params: z.object({
      root: z.string(),
      file: z.string(),
      model: z.string(),
      features: z.array(z.string()).optional(),
      task: z.enum(['binary', 'multiclass', 'regression']).optional(),
      label: z.string().optional(),
      dataset: z.string().optional(),
      allowedDirectories: dirs,
    }),
    result: z.object({
      version: versionStep,
      blessed: z.boolean(),
      task: z.string(),
      producer: z.string(),
      metrics: z.record(z.string(), z.number()),
      checks: z.array(z.object({ name: z.string(), passed: z.boolean(), reason: z.string() })),
    }),
  },
  runPipeline: {
    params: z.object({ root: z.string(), step: z.enum(['ingest', 'validate', 'train', 'evaluate', 'register', 'promote']).optional() }),
    result: shaped<RunRecord>('a run record', (o) => typeof o['id'] === 'string' && typeof o['status'] === 'string' && Array.isArray(o['steps'])),
  },
  adviseServing: {
    params: z.object({ root: z.string(), model: z.string(), data: z.string().optional(), key: z.string().optional() }),
    result: z.object({ ...page, recommendation: z.string() }),
  },
  staticTable: {
    params: z.object({ root: z.string(), model: z.string(), input: z.string(), allowedDirectories: dirs }),
    result: z.object({ file: z.string(), rows: z.number(), version: versionStep, seconds: z.number() }),
  },
  importance: {
    params: z.object({ root: z.string(), model: z.string(), leaveOneOut: z.boolean() }),
    result: z.object({ ...page, findings: z.array(shaped<LeakageFinding>('a feature-value finding', (o) => typeof o['kind'] === 'string' && typeof o['message'] === 'string')) }),
  },
  leakage: {
    params: z.object({ root: z.string(), model: z.string() }),
    result: z.object({ ...page, findings: z.array(shaped<LeakageFinding>('a leakage finding', (o) => typeof o['kind'] === 'string' && typeof o['message'] === 'string')) }),
  },
  labelConsistency: {
    params: z.object({ root: z.string(), model: z.string() }),
    result: z.object({ ...page, findings: z.array(z.object({ file: z.string(), line: z.number().int().positive(), severity: z.enum(['error', 'warning', 'info']), message: z.string() })) }),
  },
  pipelineInfo: {
    params: z.object({ root: z.string() }),
    result: z.object({ model: z.string(), landing: z.string().nullable(), watch: z.boolean(), everyHours: z.number().nullable() }),
  },
  tune: {
    params: z.object({ root: z.string(), model: z.string(), trials: z.number().int().positive().optional() }),
    result: z.object({ ...page, study: z.string(), best: z.number().nullable() }),
  },
  registerBestTrial: {
    params: z.object({ root: z.string(), model: z.string(), study: z.string() }),
    result: z.object({ version: versionStep, blessed: z.boolean(), trial: z.number(), candidate: z.number().nullable() }),
  },
  export: {
    params: z.object({ root: z.string(), model: z.string(), format: z.enum(['onnx', 'web']), out: z.string() }),
    result: z.object({ model: z.string(), version: versionStep, format: z.enum(['onnx', 'web']), path: z.string(), sha256: z.string() }),
  },
  monitor: {
    params: z.object({ root: z.string(), model: z.string() }),
    result: z.object({ ...page, alerts: z.array(z.object({ id: z.string(), text: z.string() })), line: z.number() }),
  },
  validate: {
    params: z.object({ ...dataParams, schema: z.string().optional() }),
    result: z.object({
      source: z.string(),
      rows: z.number(),
      schema: z.string(),
      anomalies: z.array(
        z.object({
          feature: z.string().nullable(),
          type: z.string(),
          severity: z.enum(['error', 'warning']),
          description: z.string(),
          file: z.string().optional(),
          line: z.number().int().positive().optional(),
          column: z.number().int().positive().optional(),
          count: z.number().optional(),
        }),
      ),
    }),
  },
} as const;

export type EngineMethod = keyof typeof engineMethods;
export type EngineParams<M extends EngineMethod> = z.infer<(typeof engineMethods)[M]['params']>;
export type EngineResult<M extends EngineMethod> = z.infer<(typeof engineMethods)[M]['result']>;

export const epochSchema = z.object({ epoch: z.number(), epochs: z.number(), loss: z.number(), evalLoss: z.number() });
export type Epoch = z.infer<typeof epochSchema>;

const methodNames = Object.keys(engineMethods) as [EngineMethod, ...EngineMethod[]];

/** A request's envelope; its params are checked against the method's own schema on arrival. */
export const engineRequestSchema = z.union([
  z.object({ id: z.number(), method: z.enum(methodNames), params: z.unknown() }),
  z.object({ id: z.number(), method: z.literal('cancel'), params: z.object({ target: z.number() }) }),
]);
export type EngineRequest = z.infer<typeof engineRequestSchema>;

export const engineProgressSchema = z.object({ fraction: z.number(), phase: z.string(), epoch: epochSchema.optional(), partial: z.unknown().optional() });
export type EngineProgress = z.infer<typeof engineProgressSchema>;

/** A response's envelope; a result is checked against its method's result schema by the client. */
export const engineResponseSchema = z.union([
  z.object({ id: z.number(), progress: engineProgressSchema }),
  z.object({ id: z.number(), result: z.unknown() }),
  z.object({ id: z.number(), error: z.object({ kind: z.string(), message: z.string() }) }),
]);
export type EngineResponse = z.infer<typeof engineResponseSchema>;
