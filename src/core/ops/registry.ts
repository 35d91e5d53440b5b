/**
 * The registry's operations: list, show, promote, roll back, delete, collect garbage. They read
 * and write JSON files under a lock and load no engine, so the extension host may call them
 * directly (the Models view); they need only the workspace's root.
 */
import { badInput } from '../errors';
import { openRegistry, parseModelRef, type AliasChange, type Aliases, type GcResult, type ModelSummary, type ModelVersion, type VersionSummary } from '../registry';
import type { Workspace } from '../project/workspace';

type Ws = Pick<Workspace, 'root'>;

export interface ModelListing {
  model: string;
  aliases: Aliases;
  versions: VersionSummary[];
}

export async function listModels(ws: Ws): Promise<{ models: ModelListing[]; summaries: ModelSummary[] }> {
  const registry = await openRegistry(ws.root);
  const summaries = await registry.listModels();
  const models: ModelListing[] = [];
  for (const m of summaries) models.push({ model: m.model, aliases: m.aliases, versions: await registry.listVersions(m.model) });
  return { models, summaries };
}

export async function listVersions(ws: Ws, req: { model: string }): Promise<ModelListing> {
  const registry = await openRegistry(ws.root);
  return { model: req.model, aliases: await registry.aliases(req.model), versions: await registry.listVersions(req.model) };
}

/** One version and its lineage card: `m:3`, `m:latest` or `m@alias`. */
export async function showVersion(ws: Ws, req: { ref: string }): Promise<ModelVersion> {
  const { model, ref } = parseModelRef(req.ref);
  return (await openRegistry(ws.root)).getVersion(model, ref);
}

export interface PromoteRequest {
  /** `m:3`, or `m@candidate` to promote what another alias points at. */
  ref: string;
  alias?: string;
  reason?: string;
}

export async function promote(ws: Ws, req: PromoteRequest): Promise<AliasChange> {
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

export async function rollback(ws: Ws, req: RollbackRequest): Promise<AliasChange> {
  if (req.to !== undefined && req.before !== undefined) throw badInput(undefined, 'give --to or --before, not both');
  const before = req.before !== undefined ? new Date(req.before) : undefined;
  if (before && Number.isNaN(before.getTime())) throw badInput(undefined, `"${req.before}" is not a date (use e.g. 2024-05-01 or 2024-05-01T12:00:00Z)`);
  return (await openRegistry(ws.root)).rollback(req.model, { to: req.to, before, reason: req.reason });
}

export async function deleteVersion(ws: Ws, req: { model: string; version: number }): Promise<{ deleted: number }> {
  await (await openRegistry(ws.root)).deleteVersion(req.model, req.version);
  return { deleted: req.version };
}

export async function gc(ws: Ws, req: { model: string; keep: number; dryRun?: boolean }): Promise<GcResult> {
  return (await openRegistry(ws.root)).gc(req.model, req.keep, { dryRun: req.dryRun });
}

/** Every model's summary (versions, aliases), without listing versions. */
export async function modelSummaries(ws: Ws): Promise<ModelSummary[]> {
  return (await openRegistry(ws.root)).listModels();
}
