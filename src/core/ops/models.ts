/** The registry's operations: list, show, promote, roll back, delete, collect, compare. */
import { badInput } from '../errors';
import { compareVersions, comparisonSummary, heldOutSource, type VersionComparison } from '../evaluate/compareVersions';
import { PROJECT_FILE } from '../project/config';
import { openRegistry, parseModelRef, parseVersionRef, type AliasChange, type Aliases, type GcResult, type ModelSummary, type ModelVersion, type VersionSummary } from '../registry';
import type { DataSource } from '../data/source';
import type { Workspace } from '../project/workspace';
import type { OpContext } from './context';
import { source, withSession } from './session';
import path from 'node:path';

export interface ModelListing {
  model: string;
  aliases: Aliases;
  versions: VersionSummary[];
}

export async function listModels(ws: Workspace): Promise<{ models: ModelListing[]; summaries: ModelSummary[] }> {
  const registry = await openRegistry(ws.root);
  const summaries = await registry.listModels();
  const models: ModelListing[] = [];
  for (const m of summaries) models.push({ model: m.model, aliases: m.aliases, versions: await registry.listVersions(m.model) });
  return { models, summaries };
}

export async function listVersions(ws: Workspace, req: { model: string }): Promise<ModelListing> {
  const registry = await openRegistry(ws.root);
  return { model: req.model, aliases: await registry.aliases(req.model), versions: await registry.listVersions(req.model) };
}

/** One version and its lineage card: `m:3`, `m:latest` or `m@alias`. */
export async function showVersion(ws: Workspace, req: { ref: string }): Promise<ModelVersion> {
  const { model, ref } = parseModelRef(req.ref);
  return (await openRegistry(ws.root)).getVersion(model, ref);
}

export interface PromoteRequest {
  /** `m:3`, or `m@candidate` to promote what another alias points at. */
  ref: string;
  alias?: string;
  reason?: string;
}

export async function promote(ws: Workspace, req: PromoteRequest): Promise<AliasChange> {
  const registry = await openRegistry(ws.root);
  const { model, ref } = parseModelRef(req.ref);
  // `m@candidate` promotes what candidate points at; resolving it also checks it exists.
  const target = typeof ref === 'number' ? ref : (await registry.getVersion(model, ref)).version;
  return registry.promote(model, target, req.alias ?? 'production', req.reason);
}

export interface RollbackRequest {
  model: string;
  to?: number;
  /** ISO date or time: the last version trained only on data before it. */
  before?: string;
  reason?: string;
}

export async function rollback(ws: Workspace, req: RollbackRequest): Promise<AliasChange> {
  if (req.to !== undefined && req.before !== undefined) throw badInput(undefined, 'give --to or --before, not both');
  const before = req.before !== undefined ? new Date(req.before) : undefined;
  if (before && Number.isNaN(before.getTime())) throw badInput(undefined, `"${req.before}" is not a date (use e.g. 2024-05-01 or 2024-05-01T12:00:00Z)`);
  return (await openRegistry(ws.root)).rollback(req.model, { to: req.to, before, reason: req.reason });
}

export async function deleteVersion(ws: Workspace, req: { model: string; version: number }): Promise<{ deleted: number }> {
  await (await openRegistry(ws.root)).deleteVersion(req.model, req.version);
  return { deleted: req.version };
}

export async function gc(ws: Workspace, req: { model: string; keep: number; dryRun?: boolean }): Promise<GcResult> {
  return (await openRegistry(ws.root)).gc(req.model, req.keep, { dryRun: req.dryRun });
}

export interface CompareRequest {
  model: string;
  /** `3`, `latest` or `@production`. */
  a: string | number;
  b: string | number;
  /** Data with the label; default: the model's held-out split, reproduced from prodml.yaml. */
  data?: string;
  slices?: string[];
}

export interface CompareResult {
  comparison: VersionComparison;
  notes: string[];
}

/** Two versions evaluated on the same data with their own saved transforms. */
export async function compare(ws: Workspace, req: CompareRequest, ctx: OpContext = {}): Promise<CompareResult> {
  const registry = await openRegistry(ws.root);
  const [a, b] = [await registry.getVersion(req.model, parseVersionRef(req.a)), await registry.getVersion(req.model, parseVersionRef(req.b))];
  const m = ws.project?.models.find((x) => x.name === req.model);
  if (!req.data && !m) throw badInput(ws.project?.file ?? path.join(ws.root, PROJECT_FILE), `has no model "${req.model}" to take the data from: give --data <data>`);
  return withSession(ws, [req.data], async (session) => {
    let data: DataSource;
    let notes: string[] = [];
    if (req.data) data = await source(ws, req.data);
    else ({ source: data, notes } = await heldOutSource(session, ws.project!, m!, [a, b], ctx.signal));
    const comparison = await compareVersions(session, a, b, data, { slices: req.slices ?? m?.validation.slices, signal: ctx.signal });
    return { comparison, notes };
  });
}

export { comparisonSummary };
