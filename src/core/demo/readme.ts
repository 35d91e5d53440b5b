/** The text files of the demo workspace: prodml.yaml and README.md. */
import type { DemoFile } from './demoFile';

export function demoProdmlYaml(): string {
  return `# ProdML demo workspace: synthetic US natality data (the "baby weight" lab).
# Predict a newborn's weight_pounds from facts known before birth.
datasets:
  # Twelve monthly training batches; schemas/natality.schema.yaml was inferred from them.
  natality:
    path: data/train/*.csv
    schema: schemas/natality.schema.yaml
    label: weight_pounds
    time_column: event_date
  # New batches land here; each is checked against the schema and for drift from training.
  incoming:
    path: data/incoming/*.csv
    schema: schemas/natality.schema.yaml
    baseline: data/train/*.csv
  # What the model sees at prediction time: no label, compared with training for skew.
  serving:
    path: data/serving/*.csv
    schema: schemas/natality.schema.yaml
    environment: SERVING
    baseline: data/train/*.csv

models:
  # Predict a newborn's weight from what is known before birth.
  baby_weight:
    dataset: natality
    task: regression
    features:
      mother_age: standardize
      gestation_weeks: standardize
      plurality: one_hot
      is_male: identity
      mother_race: vocabulary
      cigarette_use: one_hot
      alcohol_use: one_hot
    # Train on the earlier months, evaluate on the latest: no peeking at the future.
    split: {kind: time, eval_fraction: 0.2}
    model: {type: dnn, hidden: [32, 16]}
    training: {epochs: 15, batch_size: 256, learning_rate: 0.01, early_stopping: {patience: 3}, seed: 42}
    validation:
      thresholds: {rmse: {max: 1.3}}
      max_regression: {rmse: 0.05}
      slices: [plurality, cigarette_use]
    # prodml serve: the production version answers; every prediction is logged with its birth_id,
    # so weights that arrive later (prodml labels add) join to what was predicted.
    serving:
      key: birth_id
    # prodml monitor: one window per month of event_date, drift alerts calibrated on training months.
    monitoring:
      window: month
      time_column: event_date

# prodml run: take batches dropped in data/landing/, validate them (a bad one is quarantined in
# .prodml/quarantine/), add good ones to data/train/, retrain, promote only a blessed version.
# prodml run --watch keeps going: each file dropped in data/landing/ starts a run.
pipeline:
  model: baby_weight
  steps:
    ingest: {from: data/landing, to: data/train}
  triggers:
    watch: true
`;
}

export function demoReadme(m: { seed: number; rowsPerMonth: number; files: DemoFile[] }): string {
  const table = m.files
    .filter((f) => f.rows !== undefined)
    .map((f) => `| \`${f.path}\` | ${f.rows} | ${escapeCell(f.defect ? `**${f.defect.kind}**: ${f.defect.description}` : f.description)} |`);
  return `# ProdML demo: baby weight

Synthetic US natality records modelled on the classic BigQuery natality "baby weight" lab.
Each row is a birth; the label \`weight_pounds\` is the baby's weight, and the features are facts
known before birth. The data is generated (seed ${m.seed}, ${m.rowsPerMonth} rows per month): no real person is in it.

Columns: \`mother_age\` (int), \`gestation_weeks\` (int), \`plurality\` (1 single, 2 twins, 3 triplets),
\`is_male\`, \`mother_race\`, \`cigarette_use\`, \`alcohol_use\` (bool, about 1.5% missing),
\`event_date\` (YYYY-MM-DD), \`weight_pounds\` (float, the label).

Built-in relationships: weight grows with gestation (~0.35 lb/week near term, faster before 37
weeks); twins are ~1.7 lb and triplets ~3 lb lighter; boys ~0.3 lb heavier; smoking costs ~0.45 lb
and alcohol ~0.2 lb; mother's age has a mild inverted-U effect.

## Files

| file | rows | what it is |
|---|---|---|
${table.join('\n')}

\`prodml.yaml\` declares the \`natality\` dataset (the training batches). \`.prodml-demo\` marks this
folder as a generated demo: \`prodml demo\` on it again rebuilds it from scratch (\`data/\`,
\`schemas/\`, \`prodml.yaml\`, this README and ProdML's state in \`.prodml/\` are replaced; other
files stay), so every run tells the same story.

## Try it

From this folder (\`npx prodml\` inside the ProdML repository, or \`prodml\` after \`npm link\` there):

\`\`\`
prodml profile 'data/train/*.csv'
prodml schema infer 'data/train/*.csv' -o natality.schema.yaml --label weight_pounds
prodml validate data/incoming/natality-2025-02.csv --schema natality.schema.yaml
prodml validate data/incoming/new-category.csv --schema natality.schema.yaml --baseline 'data/train/*.csv'
prodml validate data/serving/natality-2025-01.csv --schema natality.schema.yaml --environment SERVING
\`\`\`

\`data/stream/\` holds the months after deployment, each row with a \`birth_id\`: replay them against
\`prodml serve\`, add their weights with \`prodml labels add\`, and watch May drift in \`prodml monitor\`.

## Check the model (after \`prodml train baby_weight\`)

\`\`\`
prodml check leakage baby_weight      # is the held-out score to be trusted?
prodml check importance baby_weight   # what is each feature worth, with a 95% interval?
prodml check labels baby_weight       # identical inputs with conflicting labels?
\`\`\`

What they can tell here, and what not:
- **leakage**: gestation_weeks predicts weight strongly on its own (R² about 0.55) but is not a
  leak: it is far from near-perfect, the split is already by time, and nothing says it is known
  after the birth. A leak is an error only on evidence (near-perfect alone and beyond the other
  features, collapse under a time or group split, or a \`known_at:\` column after the event); the
  check cannot see a leak with none of these, so give features a \`known_at:\` when you know it.
- **importance**: gestation_weeks and plurality are clearly worth keeping. cigarette_use has a real
  −0.45 lb effect but few smokers: its interval decides only with enough held-out rows, and the
  check says "can't tell with this much data" (with the rows that would decide) rather than
  calling it worthless; with the default 1,500 rows a month it is worth its cost. alcohol_use's
  −0.2 lb effect is real too, but so few mothers drink that the model gains less from it than the
  threshold (0.5% of the RMSE): "not worth its cost" is about this model and this threshold.
- **labels**: births with identical inputs have different weights, as they should (about 1 lb of
  noise is built in); only a weight further than 4 × that spread from its group's median is a
  conflict, and the spread itself is an upper bound on label noise (the features do not capture
  everything).
`;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
