/** The adaptable-system checks: leakage, what each feature is worth against its cost, label consistency. */
import { badInput } from '../errors';
import { featureImportance, labelConsistency as checkLabels, leakageCheck, type ImportanceReport, type LabelReport, type LeakageReport } from '../checks';
import type { Workspace } from '../project/workspace';
import type { OpContext } from './context';

export type { ImportanceReport, LabelReport, LeakageReport };

/** `model`, `model:3`, `model:latest` or `model@alias`: the prodml.yaml model and the version to judge. */
export function modelAndVersion(spec: string | undefined): { model?: string; version?: string } {
  if (spec === undefined) return {};
  const m = /^([^:@]+)(?:([:@])(.+))?$/.exec(spec);
  if (!m) throw badInput(undefined, `'${spec}' is not a model: write <model>, <model>:<version> or <model>@<alias>`);
  return { model: m[1]!, ...(m[3] !== undefined ? { version: m[2] === '@' ? `@${m[3]}` : m[3] } : {}) };
}

export interface LeakageRequest {
  /** `m`, `m:3` or `m@alias` (default: the only model, its served version). */
  model?: string;
  groupColumns?: string[];
}

export function leakage(ws: Workspace, req: LeakageRequest, ctx: OpContext = {}): Promise<LeakageReport> {
  const { model, version } = modelAndVersion(req.model);
  return leakageCheck(ws.root, model, { signal: ctx.signal, onProgress: ctx.progress, ...(version ? { version } : {}), ...(req.groupColumns ? { groupColumns: req.groupColumns } : {}) });
}

export interface ImportanceRequest {
  model?: string;
  repeats?: number;
  leaveOneOut?: boolean;
  /** Training seeds of the leave-one-out runs. */
  seeds?: number;
}

export function importance(ws: Workspace, req: ImportanceRequest, ctx: OpContext = {}): Promise<ImportanceReport> {
  const { model, version } = modelAndVersion(req.model);
  return featureImportance(ws.root, model, {
    signal: ctx.signal,
    onProgress: ctx.progress,
    ...(version ? { version } : {}),
    ...(req.repeats !== undefined ? { repeats: req.repeats } : {}),
    ...(req.leaveOneOut ? { leaveOneOut: true } : {}),
    ...(req.seeds !== undefined ? { looSeeds: req.seeds } : {}),
  });
}

export interface LabelConsistencyRequest {
  /** `m`, `m:3` or `m@alias`: whose transforms group the inputs (default: the served version, else fitted now). */
  model?: string;
  tolerance?: number;
  labelTolerance?: number;
}

export function labelConsistency(ws: Workspace, req: LabelConsistencyRequest, ctx: OpContext = {}): Promise<LabelReport> {
  const { model, version } = modelAndVersion(req.model);
  return checkLabels(ws.root, model, {
    signal: ctx.signal,
    onProgress: ctx.progress,
    ...(version ? { version } : {}),
    ...(req.tolerance !== undefined ? { tolerance: req.tolerance } : {}),
    ...(req.labelTolerance !== undefined ? { labelTolerance: req.labelTolerance } : {}),
  });
}
