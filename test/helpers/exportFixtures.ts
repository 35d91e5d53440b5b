/**
 * A workspace with three trained models on one synthetic customer table: binary (churned),
 * multiclass (segment) and regression (spend), each reading numbers through every numeric
 * transform and categories through one_hot and vocabulary. The held-out file plants the cases an
 * exported graph must get right: missing numbers, non-positive values under log, unseen and
 * missing categories, values outside every bucket.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/core/demo/random';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from './fixtures';

export const EXPORT_MODELS = { binary: 'churn', multiclass: 'segment', regression: 'spend' } as const;

const CITIES = ['Lyon', 'Paris', 'Nice', 'Lille', 'Brest'];
const PLANS = ['basic', 'plus', 'pro'];

/** Planted held-out cases, counted by the tests. */
export const PLANTED = { missingAge: 0, unseenCity: 0, missingCity: 0, logNonPositive: 0, unseenPlan: 0 };

function rows(n: number, seed: number, heldOut: boolean): string[] {
  const r = mulberry32(seed);
  const out = ['age,income,visits,tenure,city,plan,joined,churned,segment,spend'];
  for (let i = 0; i < n; i++) {
    let age: string = (18 + r() * 60).toFixed(1);
    const income = Math.exp(10 + r());
    let incomeText = income.toFixed(2);
    const visits = Math.floor(r() * 30);
    const tenure = (r() * 10).toFixed(2);
    let city = CITIES[Math.floor(r() * CITIES.length)]!;
    let plan = PLANS[Math.floor(r() * PLANS.length)]!;
    const joined = new Date(Date.UTC(2023, 0, 1) + Math.floor(r() * 700) * 86400000).toISOString().slice(0, 10);
    const z = (Number(age) - 45) / 15 + (city === 'Paris' ? 1 : city === 'Brest' ? -1 : 0) + (plan === 'pro' ? 0.8 : 0) - visits / 15 + (r() - 0.5);
    const churned = z > 0 ? 1 : 0;
    const segment = z < -0.7 ? 'low' : z < 0.7 ? 'mid' : 'high';
    const spend = (20 + 3 * Number(tenure) + (plan === 'pro' ? 15 : plan === 'plus' ? 5 : 0) + visits + r() * 4).toFixed(3);
    if (heldOut) {
      // Every few rows, one planted case (the model must treat it as apply.ts does).
      const k = i % 6;
      if (k === 0) (age = ''), PLANTED.missingAge++;
      else if (k === 1) (city = 'Toulouse'), PLANTED.unseenCity++;
      else if (k === 2) (city = ''), PLANTED.missingCity++;
      else if (k === 3) (incomeText = i % 12 === 3 ? '-5' : '-1'), PLANTED.logNonPositive++;
      else if (k === 4) (plan = 'enterprise'), PLANTED.unseenPlan++;
    }
    out.push([age, incomeText, visits, tenure, city, plan, joined, churned, segment, spend].join(','));
  }
  return out;
}

const FEATURES = `
      age: standardize
      income: log
      visits: min_max
      tenure: {transform: bucketize, buckets: 4}
      city: one_hot
      plan: vocabulary`;

export function exportYaml(extra = ''): string {
  return `datasets:
  customers:
    path: data/train.csv
models:
  ${EXPORT_MODELS.binary}:
    dataset: customers
    label: churned
    task: binary
    features:${FEATURES}
    model: {type: dnn, hidden: [8]}
    training: {epochs: 6, batch_size: 64, learning_rate: 0.05, seed: 3}
  ${EXPORT_MODELS.multiclass}:
    dataset: customers
    label: segment
    task: multiclass
    features:${FEATURES}
    model: {type: dnn, hidden: [8, 6]}
    training: {epochs: 6, batch_size: 64, learning_rate: 0.05, seed: 4}
  ${EXPORT_MODELS.regression}:
    dataset: customers
    label: spend
    task: regression
    features:${FEATURES}
    model: {type: linear}
    training: {epochs: 6, batch_size: 64, learning_rate: 0.05, seed: 5}
  # Transforms ONNX cannot express: exporting these is refused, naming the feature.
  hashed:
    dataset: customers
    label: churned
    task: binary
    features:
      age: standardize
      plan: {transform: vocabulary, oov_buckets: 3}
    model: {type: logistic}
    training: {epochs: 2, seed: 6}
  dated:
    dataset: customers
    label: spend
    task: regression
    features:
      tenure: standardize
      joined: date_parts
    model: {type: linear}
    training: {epochs: 2, seed: 7}
${extra}`;
}

/** The workspace, with version 1 of each of the three models trained. */
export async function exportWorkspace(): Promise<string> {
  const ws = tempDir('prodml-export-');
  fs.mkdirSync(path.join(ws, 'data'));
  fs.writeFileSync(path.join(ws, 'data/train.csv'), rows(600, 11, false).join('\n') + '\n');
  fs.writeFileSync(path.join(ws, 'data/heldout.csv'), rows(120, 12, true).join('\n') + '\n');
  fs.writeFileSync(path.join(ws, 'prodml.yaml'), exportYaml());
  for (const m of [...Object.values(EXPORT_MODELS), 'hashed', 'dated']) await trainFromConfig(ws, m);
  return ws;
}
