/**
 * prodml.yaml `pipeline:` — which model the pipeline keeps fresh, where new batches land, how they
 * are checked, which alias a blessed version is promoted to, and what starts a run. Every key has
 * a default, so `pipeline: {model: baby_weight}` (or no block at all, with one model) works:
 *
 *   pipeline:
 *     model: baby_weight
 *     steps:
 *       ingest: {from: data/landing, to: data/train}   # or false: no landing folder
 *       validate: {schema: ..., baseline: ..., drift: true}
 *       promote: {alias: production}                    # or false: register only
 *     triggers:                                         # none: static training (prodml run by hand)
 *       watch: true                                     # push: a file dropped in `from` starts a run
 *       schedule: {every_hours: 24}                     # pull: a run every N hours
 */
import path from 'node:path';
import picomatch from 'picomatch';
import { badInput } from '../errors';
import { isInsideState } from './paths';

/** What the pipeline block needs of a dataset (config.ts's DatasetConfig has it); structural, so config.ts alone imports this file. */
interface PipelineDataset {
  name: string;
  path: string[];
  schema?: string;
  baseline?: string;
}

/** What the pipeline block needs of a model entry. */
interface PipelineModel {
  name: string;
  label: string;
  dataset: PipelineDataset;
  serving: { alias: string };
}

export interface WatchTrigger {
  /** A file must keep its size and mtime this long before it is taken (it may still be copying). */
  debounce_ms: number;
  /** Polling interval: fs.watch misses events on network and some container file systems. */
  poll_ms: number;
}

export interface PipelineConfig {
  model: string;
  /** Absent when `steps.ingest: false`. Paths are relative to the workspace root, `/`-separated. */
  ingest?: { from: string; to: string };
  validate: { schema?: string; baseline?: string; drift: boolean };
  /** Absent when `steps.promote: false`. */
  promote?: { alias: string };
  triggers: { watch?: WatchTrigger; schedule?: { every_hours: number } };
}

export interface RawPipeline {
  model?: string;
  steps?: {
    ingest?: false | { from?: string; to?: string };
    validate?: { schema?: string; baseline?: string; drift?: boolean };
    promote?: false | { alias?: string };
  };
  triggers?: { watch?: boolean | Partial<WatchTrigger>; schedule?: { every_hours: number } };
}

export const DEFAULT_LANDING = 'data/landing';
export const DEFAULT_WATCH: WatchTrigger = { debounce_ms: 2000, poll_ms: 2000 };

/** The pipeline block with its defaults filled in and its references checked against the models. */
export function parsePipeline(file: string, raw: RawPipeline, models: readonly PipelineModel[]): PipelineConfig {
  const names = models.map((m) => m.name).join(', ') || 'none';
  const modelName = raw.model ?? (models.length === 1 ? models[0]!.name : undefined);
  if (!modelName) throw badInput(file, `pipeline.model: name the model the pipeline trains (models: ${names})`);
  const m = models.find((x) => x.name === modelName);
  if (!m) throw badInput(file, `pipeline.model: no model named "${modelName}" under models (there are: ${names})`);

  const steps = raw.steps ?? {};
  let ingest: PipelineConfig['ingest'];
  if (steps.ingest !== false) {
    const from = relPath(file, 'pipeline.steps.ingest.from', steps.ingest?.from ?? DEFAULT_LANDING);
    const to = relPath(file, 'pipeline.steps.ingest.to', steps.ingest?.to ?? fixedDir(m.dataset));
    if (readsFolder(m.dataset, from)) {
      throw badInput(file, `pipeline.steps.ingest.from: ${from} is read by datasets.${m.dataset.name}.path (${m.dataset.path.join(', ')}), so new batches would reach training unvalidated; land them in a folder of their own, e.g. ${DEFAULT_LANDING}`);
    }
    if (!readsFolder(m.dataset, to)) {
      throw badInput(file, `pipeline.steps.ingest.to: datasets.${m.dataset.name}.path (${m.dataset.path.join(', ')}) does not read files in ${to}, so ingested batches would never be trained on`);
    }
    ingest = { from, to };
  }
  const schema = steps.validate?.schema ?? m.dataset.schema;
  if (ingest && !schema) {
    throw badInput(file, `pipeline.steps.validate.schema: new batches must be checked before training, and datasets.${m.dataset.name} has no schema; infer one (prodml schema infer '${m.dataset.path[0]}' -o ${m.dataset.name}.schema.yaml --label ${m.label}) or set pipeline.steps.ingest: false`);
  }
  const watch = raw.triggers?.watch;
  return {
    model: m.name,
    ...(ingest ? { ingest } : {}),
    validate: {
      ...(schema ? { schema } : {}),
      ...(steps.validate?.baseline ?? m.dataset.baseline ? { baseline: steps.validate?.baseline ?? m.dataset.baseline } : {}),
      drift: steps.validate?.drift ?? true,
    },
    ...(steps.promote === false ? {} : { promote: { alias: steps.promote?.alias ?? m.serving.alias } }),
    triggers: {
      ...(watch ? { watch: { ...DEFAULT_WATCH, ...(typeof watch === 'object' ? watch : {}) } } : {}),
      ...(raw.triggers?.schedule ? { schedule: { every_hours: raw.triggers.schedule.every_hours } } : {}),
    },
  };
}

/** The directory part of a dataset's first glob before any wildcard: where its files live. */
export function fixedDir(d: Pick<PipelineDataset, 'path'>): string {
  const parts = (d.path[0] ?? '').replace(/^\.\//, '').split('/');
  const wild = parts.findIndex((p) => /[*?[{]/.test(p));
  // A plain file path: its folder.
  const fixed = parts.slice(0, wild === -1 ? parts.length - 1 : wild);
  return fixed.join('/') || '.';
}

/** Whether a CSV (or any data file) put directly in `dir` would be read by the dataset. */
function readsFolder(d: Pick<PipelineDataset, 'path'>, dir: string): boolean {
  const probes = ['.csv', '.tsv', '.parquet', '.json', '.jsonl'].map((ext) => `${dir === '.' ? '' : dir + '/'}batch${ext}`);
  return d.path.some((g) => probes.some((p) => picomatch.isMatch(p, g.replace(/^\.\//, ''))));
}

function relPath(file: string, at: string, given: string): string {
  const norm = path.posix.normalize(given.replace(/\\/g, '/')).replace(/\/$/, '');
  if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../')) throw badInput(file, `${at}: "${given}" must be a folder inside the workspace, relative to prodml.yaml`);
  if (isInsideState(norm)) throw badInput(file, `${at}: "${given}" is inside .prodml/, which ProdML manages; use a folder of your own`);
  return norm;
}
