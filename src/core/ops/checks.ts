/** The adaptable-system checks: leakage, and what each feature is worth against its cost. */
import { badInput } from '../errors';
import { featureImportance, leakageCheck, type ImportanceReport, type LeakageReport } from '../checks';
import type { Workspace } from '../project/workspace';
import type { OpContext } from './context';

export type { ImportanceReport, LeakageReport };

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
}

export function importance(ws: Workspace, req: ImportanceRequest, ctx: OpContext = {}): Promise<ImportanceReport> {
  const { model, version } = modelAndVersion(req.model);
  return featureImportance(ws.root, model, {
    signal: ctx.signal,
    onProgress: ctx.progress,
    ...(version ? { version } : {}),
    ...(req.repeats !== undefined ? { repeats: req.repeats } : {}),
    ...(req.leaveOneOut ? { leaveOneOut: true } : {}),
  });
}
