/**
 * The serving advisor (`prodml advise serving`): static, dynamic or hybrid serving, from how the
 * requests' keys are distributed (keyStats.ts) and the rules in types.ts.
 */
import fs from 'node:fs/promises';
import type { DuckSession } from '../data/duckdb';
import type { DataSource } from '../data/source';
import { badInput, cancelled } from '../errors';
import type { FittedTransforms } from '../features/spec';
import { loadProjectConfig } from '../project/config';
import { openRegistry } from '../registry';
import { resolveVersion } from '../project/resolveVersion';
import { countKeys, keyDistribution, type KeyCounts } from './keyStats';
import { dataKeySource, inputConsistency, logKeySource, type KeySource } from './keySource';
import { fmtInt, pct, recommend, thresholdsWith } from './recommend';
import { COVERAGE_TARGETS, DEFAULT_TOP_K, type AdviceThresholds, type ServingAdvice } from './types';

export interface AdviseOptions {
  /** The key: a column of `data`, or an input field of the log (default: models.<m>.serving.key). */
  key?: string;
  /** Read keys from this data file (one row per request) instead of the prediction log. */
  data?: DataSource;
  /** k for the top-k coverage table (default 10, 100, 1,000, 10,000). */
  topK?: number[];
  thresholds?: Partial<AdviceThresholds>;
  signal?: AbortSignal;
  onProgress?: (fraction: number, phase: string) => void;
}

export async function adviseServing(session: DuckSession, root: string, model: string, opts: AdviseOptions = {}): Promise<ServingAdvice> {
  const { signal } = opts;
  const thresholds = thresholdsWith(opts.thresholds);
  const progress = (f: number, phase: string) => {
    if (signal?.aborted) throw cancelled();
    opts.onProgress?.(f, phase);
  };
  progress(0, 'reading the configuration');
  const config = await loadProjectConfig(root);
  const servingKey = config?.models.find((m) => m.name === model)?.serving.key;
  const served = await servedShape(root, model);

  let source: KeySource;
  if (opts.data) {
    const key = opts.key ?? servingKey;
    if (!key) throw badInput(opts.data.display, `name its key column with --key (models.${model}.serving.key is not set)`);
    source = await dataKeySource(session, opts.data, key, signal);
  } else {
    source = await logKeySource(root, model, servingKey, opts.key);
  }

  progress(0.1, 'counting requests per key');
  const counts: KeyCounts = await countKeys(session, source.sql, signal);
  try {
    if (counts.requests === 0) {
      const what = source.info.kind === 'log' ? `the prediction log of ${model} has no ${source.info.routes.join(' or ')} request with a "${source.info.key}" key` : `has no row with a "${source.info.key}" value`;
      throw badInput(source.info.path, `${what}${counts.withoutKey > 0 ? ` (${fmtInt(counts.withoutKey)} without one)` : ''}; nothing to measure`);
    }
    progress(0.5, 'measuring coverage and entropy');
    const targets = [...new Set([...COVERAGE_TARGETS, thresholds.targetCoverage])];
    const distribution = await keyDistribution(session, counts, { topK: opts.topK ?? DEFAULT_TOP_K, targets, signal });
    progress(0.8, 'checking that keys determine the inputs');
    const consistency = await inputConsistency(session, source, served?.inputs, signal);
    const rec = recommend(distribution, thresholds, source.info, served?.outputsPerRow ?? 1);

    const caveats: string[] = [];
    if (consistency.varying > 0 && rec.recommendation !== 'dynamic') {
      caveats.push(
        `${fmtInt(consistency.varying)} of ${fmtInt(consistency.repeatedKeys)} repeated keys (${pct(consistency.varying / consistency.repeatedKeys)}) came with different ${served ? 'model inputs' : 'fields'} on different requests: a precomputed prediction depends on the key alone, so precompute only if the key determines the inputs (e.g. features looked up by the key)`,
      );
    }
    if (distribution.withoutKey > 0) caveats.push(`${fmtInt(distribution.withoutKey)} requests had no key and are left out; they are always scored by the model`);
    if (source.info.kind === 'data' && distribution.singletons === distribution.keys) {
      caveats.push(`every key appears once in ${source.info.path}: read as requests, no key repeats; if the file lists the key space (a catalog) rather than requests, precomputing all ${fmtInt(distribution.keys)} keys is static serving`);
    }
    if (rec.recommendation !== 'dynamic') caveats.push('coverage is measured on the same requests the head is chosen from; traffic that shifts to new keys lowers the hit rate (the server reports it per request in x-prodml-static)');
    progress(1, 'done');
    return { model, source: source.info, distribution, thresholds, ...rec, caveats };
  } finally {
    await counts.drop();
  }
}

/** The served version's inputs and outputs per row, when the model has a registered version. */
async function servedShape(root: string, model: string): Promise<{ inputs: string[]; outputsPerRow: number } | undefined> {
  try {
    const registry = await openRegistry(root);
    const { version } = await resolveVersion(root, registry, model);
    const transforms = JSON.parse(await fs.readFile(version.files['transform.json'], 'utf8')) as FittedTransforms;
    const classes = version.card.params['classes'] as string[] | undefined;
    return { inputs: transforms.features.map((f) => f.name), outputsPerRow: version.card.task === 'multiclass' ? (classes?.length ?? 2) : 1 };
  } catch {
    // Advice needs no model: a key column can be measured before anything is trained.
    return undefined;
  }
}
