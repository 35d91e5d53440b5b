/**
 * A regression workspace with each kind of leak planted beside honest predictors, so the leakage
 * check's tests can count what it finds and what it spares:
 * - `label_echo`: the label plus small noise (near-perfect alone);
 * - `discharge_code`: honest-looking, but its `known_at` column lies after the event;
 * - `batch_no`: the day's batch number while the label drifts over time (a random split lets a
 *   lookup learn the neighbouring days; a time split does not);
 * - `patient_code`: a per-patient code while each patient has their own level (a random split
 *   lets a lookup learn the patient; a split by patient_id does not);
 * - `dose` (strong) and `age` (weak): honest predictors that must not be flagged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../../src/core/demo/random';

export const PLANTED = { echo: 'label_echo', late: 'discharge_code', time: 'batch_no', group: 'patient_code' } as const;
export const HONEST = ['dose', 'age'] as const;

export function writePlantedLeaks(dir: string, opts: { rows?: number; seed?: number; split?: string } = {}): void {
  const rng = new Rng(opts.seed ?? 5);
  const n = opts.rows ?? 4000;
  const days = 400;
  const walk: number[] = [];
  for (let d = 0, w = 0; d < days; d++) walk.push((w += rng.normal(0, 0.25)));
  const patients = Array.from({ length: Math.round(n / 10) }, (_, i) => ({ code: `c${(i * 7919) % 100000}`, level: rng.normal(0, 3), age: rng.int(20, 80) }));
  const lines = ['row_id,patient_id,event_date,discharged_at,dose,age,label_echo,discharge_code,batch_no,patient_code,outcome'];
  const day0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const p = rng.int(0, patients.length - 1);
    const pt = patients[p]!;
    const d = rng.int(0, days - 1);
    const dose = rng.normal(0, 1);
    const y = 2 * dose + 0.02 * (pt.age - 50) + walk[d]! + pt.level + rng.normal(0, 1);
    const date = new Date(day0 + d * 86_400_000);
    const discharged = new Date(date.getTime() + rng.int(1, 10) * 86_400_000);
    const code = y > 1 ? 'A' : y > -1 ? 'B' : 'C';
    lines.push([`r${i}`, `p${p}`, date.toISOString().slice(0, 10), discharged.toISOString().slice(0, 10), dose.toFixed(4), pt.age, (y + rng.normal(0, 0.05)).toFixed(4), code, d, pt.code, y.toFixed(4)].join(','));
  }
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data/visits.csv'), lines.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'prodml.yaml'),
    `datasets:
  visits:
    path: data/visits.csv
    label: outcome
    time_column: event_date
models:
  outcome:
    dataset: visits
    task: regression
    features:
      dose: standardize
      age: standardize
      label_echo: standardize
      discharge_code: {transform: one_hot, known_at: discharged_at}
      batch_no: standardize
      patient_code: {transform: vocabulary, max_values: 2000}
    split: ${opts.split ?? '{kind: random, eval_fraction: 0.25}'}
    training: {epochs: 3, seed: 3}
`,
  );
}
