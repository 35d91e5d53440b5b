import os from 'node:os';
import { badInput } from '../errors';
import { VERSION } from '../project/version';
import type { CardInput, ModelCard } from './types';

/** The card as written to card.json: identity fields filled in, the lineage checked so listings and `rollback --before` can rely on it. */
export function completeCard(model: string, version: number, input: CardInput): ModelCard {
  const problem = (what: string) => badInput(undefined, `model '${model}': the card's ${what}`);
  const { created_at, user, tool_version, blessed, ...rest } = input;
  if (typeof rest.backend !== 'string' || rest.backend === '') throw problem('backend must name what computes it (tfjs: tensorflow, wasm or cpu; onnxruntime)');
  if (typeof rest.config_hash !== 'string') throw problem('config_hash must be a string');
  if (!rest.metrics || typeof rest.metrics !== 'object') throw problem('metrics must be an object of numbers');
  for (const [name, v] of Object.entries(rest.metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw problem(`metric '${name}' must be a finite number, got ${JSON.stringify(v)}`);
  }
  if (rest.key_metric !== undefined && !(rest.key_metric in rest.metrics)) throw problem(`key_metric '${rest.key_metric}' is not one of its metrics`);
  const data = rest.training_data;
  if (!data || !Array.isArray(data.datasets)) throw problem('training_data.datasets must list the datasets it was trained on');
  for (const d of data.datasets) {
    if (typeof d.path !== 'string' || typeof d.content_hash !== 'string' || !Number.isInteger(d.rows)) {
      throw problem('training_data.datasets entries need path, content_hash and rows');
    }
  }
  if (!Number.isInteger(data.rows) || data.rows < 0) throw problem('training_data.rows must be a row count');
  if (data.time_range) {
    const { min, max } = data.time_range;
    if (!isInstant(min) || !isInstant(max)) throw problem(`training_data.time_range needs ISO 8601 min and max, got ${JSON.stringify(data.time_range)}`);
    if (Date.parse(min) > Date.parse(max)) throw problem(`training_data.time_range starts (${min}) after it ends (${max})`);
  }
  if (created_at !== undefined && !isInstant(created_at)) throw problem(`created_at must be an ISO 8601 time, got ${JSON.stringify(created_at)}`);
  return {
    model,
    version,
    created_at: created_at ?? new Date().toISOString(),
    user: user ?? currentUser(),
    tool_version: tool_version ?? VERSION,
    blessed: blessed ?? false,
    ...rest,
  };
}

export function keyMetric(card: Pick<ModelCard, 'metrics' | 'key_metric'>): string | undefined {
  return card.key_metric ?? Object.keys(card.metrics)[0];
}

export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers).
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

function isInstant(s: unknown): s is string {
  return typeof s === 'string' && !Number.isNaN(Date.parse(s));
}
