/**
 * npm run bench:train — ProdML's logistic regression and DNN, trained through the real path
 * (prodml.yaml in a workspace, trainFromConfig: DuckDB load, transforms fitted in SQL, the tfjs
 * training loop, evaluation, registration), next to scikit-learn on the same rows and the same
 * split in the same run (bench/train_sklearn.py with Debian's python3-sklearn).
 *
 * Data: generated in DuckDB, seeded by hashes of the row number, 20 features (16 numeric, one
 * with missing values and one log-normal; 4 categorical) and a binary label drawn from a known
 * logistic model with interactions and curvature (so boosting has something to find that a
 * linear model cannot). The split is ProdML's time split on `event_date`: the first 80% of rows
 * have the earlier dates.
 *
 * Targets: our logistic eval AUC within 0.005 of sklearn's LogisticRegression (issue 4); our
 * training pass no slower than SGDClassifier's epoch (one partial_fit pass over the same rows;
 * issue 17, where issue 4 asked for 2x). Issue 17 for the DNN: a training pass no slower than
 * MLPClassifier's epoch (the same hidden layers, batch
 * size, learning rate and epochs; solvers sgd and adam, one partial_fit pass per epoch), the
 * eval AUC within 0.002 of the better of the two or above.
 *
 * Usage: bench/train.bench.ts [--rows 1000000] [--epochs 5] [--batch 256,2048] [--models logistic,dnn]
 *        (every model is trained once per batch size: the trainer's per-batch cost is fixed, so
 *        the batch size decides the epoch time; see the report)
 *        (or BENCH_ROWS=100000 for a quick check)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckSession, sqlString } from '../src/core/data/duckdb';
import { loadTf } from '../src/core/train/backend';
import { trainFromConfig, type TrainProgress } from '../src/core/train/run';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const ROWS = Number(arg('--rows', process.env['BENCH_ROWS'] ?? '1000000'));
const EPOCHS = Number(arg('--epochs', '5'));
const BATCHES = arg('--batch', '256,2048').split(',').map(Number);
const MODELS = arg('--models', 'logistic,dnn').split(',');
const SEED = 42;
const EVAL_FRACTION = 0.2;
const HIDDEN = [32, 16];
const LEARNING_RATE = 0.01;
const DATA = path.join(__dirname, '.data');

const NUMERIC = Array.from({ length: 14 }, (_, i) => `x${String(i + 1).padStart(2, '0')}`).concat(['age', 'member']);
const LOG = ['income'];
const CATEGORICAL = ['region', 'channel', 'plan', 'segment'];

/**
 * A uniform in (0, 1) from the row number and a stream id (< 64): deterministic and parallel-safe.
 * One hashed integer per (row, stream): DuckDB's two-argument hash(range, k) gives streams that
 * correlate (r ≈ 0.98), which made the label a near-deterministic function of the features.
 */
const u = (k: number) => `(((hash(range * 64 + ${k}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0)`;
/** A standard normal (Box-Muller) from two streams. */
const normal = (k: number) => `(sqrt(-2 * ln(${u(k)})) * cos(2 * pi() * ${u(k + 1)}))`;

function generator(rows: number): string {
  // 12 independent normals; x13, x14 correlate with x01, x02 (collinearity is realistic).
  const z = Array.from({ length: 12 }, (_, i) => `${normal(10 + 2 * i)} AS x${String(i + 1).padStart(2, '0')}`);
  return `
  WITH base AS (
    SELECT range,
      ${z.join(',\n      ')},
      ${normal(40)} AS z13, ${normal(42)} AS z14,
      exp(10 + 0.6 * ${normal(44)}) AS income,
      (18 + floor(${u(46)} * 60))::INTEGER AS age,
      ${u(47)} < 0.3 AS member,
      floor(${u(48)} * 4)::INTEGER AS r,
      floor(pow(${u(49)}, 1.5) * 10)::INTEGER AS ch,
      floor(${u(50)} * 3)::INTEGER AS pl,
      floor(${u(51)} * 25)::INTEGER AS sg,
      ${u(52)} AS draw,
      ${u(53)} AS gap
    FROM range(${rows})
  ), features AS (
    SELECT *,
      0.7 * x01 + 0.71 * z13 AS x13,
      0.5 * x02 - 0.87 * z14 AS x14,
      -- 2% of x05 is missing: ProdML imputes the training mean.
      CASE WHEN gap < 0.02 THEN NULL ELSE x05 END AS x05m,
      ['north', 'south', 'east', 'west'][r + 1] AS region,
      'ch' || ch::VARCHAR AS channel,
      ['basic', 'plus', 'pro'][pl + 1] AS plan,
      's' || sg::VARCHAR AS segment,
      -- The known model: linear effects, category effects, an interaction, curvature, a threshold.
      -0.6 + 0.8 * x01 - 0.6 * x02 + 0.5 * x03 + 0.4 * x04 - 0.35 * x05 + 0.25 * x06 + 0.15 * x07 - 0.1 * x08
        + 0.3 * (ln(income) - 10) / 0.6 + 0.012 * (age - 47) + 0.3 * member::INTEGER
        + [-0.4, 0.0, 0.3, 0.5][r + 1] + 0.08 * ch - [0.0, 0.2, 0.45][pl + 1] + 0.6 * (((sg * 7) % 25) / 25.0 - 0.5)
        + 0.35 * x01 * x03 - 0.25 * (x04 * x04 - 1) + 0.4 * (CASE WHEN x06 > 1 THEN 1 ELSE 0 END)
        AS logit
    FROM base
  )
  SELECT
    x01, x02, x03, x04, x05m AS x05, x06, x07, x08, x09, x10, x11, x12, x13, x14,
    income, age, member, region, channel, plan, segment,
    -- One date per 1% of rows: the last 20% of rows carry the latest dates (the eval split).
    DATE '2024-01-01' + (range * 100 // ${rows})::INTEGER AS event_date,
    (draw < 1 / (1 + exp(-logit)))::INTEGER AS converted
  FROM features`;
}

function prodmlYaml(): string {
  const features = [...NUMERIC.map((c) => `      ${c}: ${c === 'member' ? 'identity' : 'standardize'}`), ...LOG.map((c) => `      ${c}: log`), ...CATEGORICAL.map((c) => `      ${c}: one_hot`)].join('\n');
  const model = (type: string, batch: number) => `  bench_${type}_b${batch}:
    dataset: bench
    task: binary
    features:
${features}
    split: {kind: time, eval_fraction: ${EVAL_FRACTION}}
    model: {type: ${type}${type === 'dnn' ? `, hidden: [${HIDDEN.join(', ')}]` : ''}}
    training: {epochs: ${EPOCHS}, batch_size: ${batch}, learning_rate: ${LEARNING_RATE}, seed: ${SEED}}`;
  return `datasets:
  bench:
    path: data/*.parquet
    label: converted
    time_column: event_date
models:
${MODELS.flatMap((m) => BATCHES.map((b) => model(m, b))).join('\n')}
`;
}

async function ensureWorkspace(rows: number): Promise<string> {
  const ws = path.join(DATA, `train-${rows}`);
  const parquet = path.join(ws, 'data', 'bench.parquet');
  const csv = path.join(ws, 'python', 'bench.csv');
  fs.mkdirSync(path.dirname(parquet), { recursive: true });
  fs.mkdirSync(path.dirname(csv), { recursive: true });
  if (!fs.existsSync(parquet) || !fs.existsSync(csv)) {
    process.stderr.write(`generating ${rows.toLocaleString('en-US')} rows x 21 columns...\n`);
    const session = await DuckSession.open({ allowedDirectories: [ws] });
    try {
      await session.run(`COPY (${generator(rows)}) TO ${sqlString(parquet)} (FORMAT parquet)`);
      // The same rows for Python, which has no Parquet reader on Debian.
      await session.run(`COPY (SELECT * FROM read_parquet(${sqlString(parquet)})) TO ${sqlString(csv)} (FORMAT csv, HEADER)`);
    } finally {
      session.close();
    }
  }
  fs.writeFileSync(path.join(ws, 'prodml.yaml'), prodmlYaml());
  // Each run registers fresh versions; earlier runs' versions would only grow the registry.
  fs.rmSync(path.join(ws, '.prodml'), { recursive: true, force: true });
  return ws;
}

interface OurRun {
  model: string;
  auc: number;
  epochs: number[];
  /** Each epoch without its eval-loss pass: the training pass alone, what partial_fit times. */
  passes: number[];
  phases: Record<string, number>;
  rows: { train: number; eval: number };
  total: number;
}

async function trainOurs(ws: string, model: string): Promise<OurRun> {
  const phases: Record<string, number> = {};
  const epochs: number[] = [];
  const passes: number[] = [];
  let phase = '';
  let mark = performance.now();
  const t0 = mark;
  const onProgress = (p: TrainProgress) => {
    const now = performance.now();
    if (p.phase === 'training' && phase === 'training') {
      // Between two epoch reports: exactly one epoch (its batches and its eval loss).
      epochs.push((now - mark) / 1000);
      passes.push((now - mark) / 1000 - (p.evalSeconds ?? 0));
    } else if (phase) phases[phase] = (phases[phase] ?? 0) + (now - mark) / 1000;
    if (p.phase === 'training') process.stderr.write(`  ${model} epoch ${p.epoch}/${p.epochs}: ${((now - mark) / 1000).toFixed(2)} s, loss ${p.loss.toFixed(4)}, eval loss ${p.evalLoss.toFixed(4)}\n`);
    phase = p.phase;
    mark = now;
  };
  const out = await trainFromConfig(ws, model, { onProgress });
  phases[phase] = (phases[phase] ?? 0) + (performance.now() - mark) / 1000;
  return { model, auc: out.metrics['auc']!, epochs, passes, phases, rows: out.rows, total: (performance.now() - t0) / 1000 };
}

interface SklearnRun {
  sklearn_version: string;
  rows: { train: number; eval: number };
  inputs: number;
  encode_s: number;
  sgd: { epoch_s: number[]; auc: number };
  mlp: { solver: 'sgd' | 'adam'; batch: number; epoch_s: number[]; auc: number }[];
  logistic_regression: { fit_s: number; auc: number; iterations: number };
  hist_gradient_boosting: { fit_s: number; auc: number; iterations: number };
}

function runSklearn(ws: string): SklearnRun {
  const r = spawnSync(
    '/usr/bin/python3',
    [
      path.join(__dirname, 'train_sklearn.py'),
      path.join(ws, 'python', 'bench.csv'),
      '--label', 'converted',
      '--time-column', 'event_date',
      '--eval-fraction', String(EVAL_FRACTION),
      '--numeric', NUMERIC.join(','),
      '--log', LOG.join(','),
      '--categorical', CATEGORICAL.join(','),
      '--epochs', String(EPOCHS),
      '--seed', String(SEED),
      '--hidden', HIDDEN.join(','),
      '--learning-rate', String(LEARNING_RATE),
      // MLPClassifier is the DNN's reference: trained only when the DNN is.
      '--batch', MODELS.includes('dnn') ? BATCHES.join(',') : '',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`train_sklearn.py exited ${r.status}`);
  return JSON.parse(r.stdout) as SklearnRun;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** sklearn's epochs 2..N, as ours (our first epoch's time is not between two reports). */
const later = (xs: number[]) => (xs.length > 1 ? xs.slice(1) : xs);
const s = (x: number) => `${x.toFixed(3)} s`;

async function main() {
  const ws = await ensureWorkspace(ROWS);
  const { backend } = await loadTf();
  process.stderr.write(`ProdML on tfjs backend "${backend}", ${ROWS.toLocaleString('en-US')} rows, ${EPOCHS} epochs, batch sizes ${BATCHES.join(", ")}\n`);
  const ours: (OurRun & { type: string; batch: number })[] = [];
  for (const batch of BATCHES) for (const type of MODELS) ours.push({ ...(await trainOurs(ws, `bench_${type}_b${batch}`)), type, batch });
  const sk = runSklearn(ws);
  for (const o of ours) {
    if (o.rows.train !== sk.rows.train || o.rows.eval !== sk.rows.eval) throw new Error(`split differs: ours ${JSON.stringify(o.rows)}, sklearn ${JSON.stringify(sk.rows)}`);
  }

  const sgdEpoch = median(later(sk.sgd.epoch_s));
  const rows: string[][] = [];
  // The reference epoch for each of our rows: SGDClassifier for logistic; for the DNN, the faster
  // MLPClassifier solver at the same batch size.
  const mlps = (batch: number) => sk.mlp.filter((m) => m.batch === batch);
  const mlpEpoch = (batch: number) => Math.min(...mlps(batch).map((m) => median(later(m.epoch_s))));
  const refEpoch = (o: { type: string; batch: number }) => (o.type === 'dnn' ? mlpEpoch(o.batch) : sgdEpoch);
  for (const o of ours) {
    rows.push([`ProdML ${o.type}, batch ${o.batch} (tfjs ${backend})`, s(median(o.epochs)), `${(median(o.epochs) / refEpoch(o)).toFixed(2)}x`, s(median(o.passes)), `${(median(o.passes) / refEpoch(o)).toFixed(2)}x`, o.auc.toFixed(5), s(o.phases['fitting']! + o.epochs.reduce((a, b) => a + b, 0))]);
  }
  rows.push([`sklearn SGDClassifier (log_loss)`, s(sgdEpoch), 'logistic ref', s(sgdEpoch), 'logistic ref', sk.sgd.auc.toFixed(5), s(sk.sgd.epoch_s.reduce((a, b) => a + b, 0))]);
  for (const m of sk.mlp) {
    const vs = median(later(m.epoch_s)) === mlpEpoch(m.batch) ? 'dnn ref' : `${(median(later(m.epoch_s)) / mlpEpoch(m.batch)).toFixed(2)}x`;
    rows.push([`sklearn MLPClassifier (${HIDDEN.join(',')}), ${m.solver}, batch ${m.batch}`, s(median(later(m.epoch_s))), vs, s(median(later(m.epoch_s))), vs, m.auc.toFixed(5), s(m.epoch_s.reduce((a, b) => a + b, 0))]);
  }
  rows.push([`sklearn LogisticRegression (lbfgs, ${sk.logistic_regression.iterations} it)`, '-', '-', '-', '-', sk.logistic_regression.auc.toFixed(5), s(sk.logistic_regression.fit_s)]);
  rows.push([`sklearn HistGradientBoosting (${sk.hist_gradient_boosting.iterations} it)`, '-', '-', '-', '-', sk.hist_gradient_boosting.auc.toFixed(5), s(sk.hist_gradient_boosting.fit_s)]);
  const header = ['model', 'epoch (median)', 'vs ref', 'training pass', 'vs ref', 'eval AUC', 'fit'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [
    `${ROWS.toLocaleString('en-US')} rows (${sk.rows.train.toLocaleString('en-US')} train / ${sk.rows.eval.toLocaleString('en-US')} eval by time), 20 features -> ${sk.inputs} inputs; ${EPOCHS} epochs; sklearn ${sk.sklearn_version}`,
    '',
    line(header),
    ...rows.map(line),
    '',
  ];
  for (const o of ours.filter((x) => x.type === 'logistic')) {
    const dAuc = o.auc - sk.logistic_regression.auc;
    const ratio = median(o.epochs) / sgdEpoch;
    const pass = median(o.passes) / sgdEpoch;
    out.push(
      `logistic, batch ${o.batch}: AUC - LogisticRegression AUC ${dAuc >= 0 ? '+' : ''}${dAuc.toFixed(5)} (target within 0.005: ${dAuc >= -0.005 ? 'met' : 'MISSED'}); ` +
        `epoch / SGD epoch ${ratio.toFixed(2)}x with our eval-loss pass, ${pass.toFixed(2)}x the training pass alone (target <= 1x: ${pass <= 1 ? 'met' : 'MISSED'})`,
    );
  }
  for (const o of ours.filter((x) => x.type === 'dnn')) {
    const ref = mlps(o.batch);
    if (ref.length === 0) continue;
    const bestAuc = Math.max(...ref.map((m) => m.auc));
    const dAuc = o.auc - bestAuc;
    const ratio = median(o.passes) / mlpEpoch(o.batch);
    const each = (ours: number[]) => ref.map((m) => `${m.solver} ${(median(ours) / median(later(m.epoch_s))).toFixed(2)}x`).join(', ');
    out.push(
      `dnn, batch ${o.batch}: AUC - best MLPClassifier AUC ${dAuc >= 0 ? '+' : ''}${dAuc.toFixed(5)} (target within 0.002: ${dAuc >= -0.002 ? 'met' : 'MISSED'}); ` +
        `epoch / MLPClassifier epoch ${each(o.epochs)} with our eval-loss pass, ${each(o.passes)} the training pass alone (target <= 1x the faster: ${ratio <= 1 ? 'met' : 'MISSED'})`,
    );
  }
  const p = ours[0]!.phases;
  out.push(
    `Outside the epochs (${ours[0]!.model}): load ${s(p['loading'] ?? 0)}; fit transforms + encode + build + first epoch ${s(p['fitting'] ?? 0)}; evaluate ${s(p['evaluating'] ?? 0)}; register ${s(p['registering'] ?? 0)}; whole run ${s(ours[0]!.total)}.`,
    `"fit" is fit transforms + encode + all epochs for ours, the training calls alone for sklearn. Epoch times are between consecutive epoch reports (epochs 2..${EPOCHS}, ours and sklearn's) and include our eval-loss pass over the held-out rows, which partial_fit does not make; "training pass" leaves it out (the trainers time it, EpochReport.evalSeconds); sklearn's encoding (impute, standardize, one-hot) took ${s(sk.encode_s)}, outside its epochs; MLPClassifier's epoch is one partial_fit on float64 rows (BLAS may use every core), ours one tfjs thread.`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
