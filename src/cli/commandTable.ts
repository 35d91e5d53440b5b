/**
 * Every top-level command, named once with its one-line summary. main.ts lists these for
 * `--help` without loading any of them; running one loads src/cli/commands.ts (DuckDB, tfjs,
 * vega, fastify) and registers just that command.
 */
export const COMMANDS = [
  { name: 'profile', summary: 'Profile a dataset (CSV, TSV, Parquet, JSON, JSON Lines, or a glob of them)' },
  { name: 'schema', summary: 'Infer dataset schemas (*.schema.yaml)' },
  { name: 'validate', summary: 'Validate a batch of data against its schema; exit 1 when an error-severity anomaly is found' },
  { name: 'train', summary: 'Train a prodml.yaml model, evaluate it and register the version (exit 1 when it is not blessed)' },
  { name: 'evaluate', summary: 'Evaluate a registered model version on a dataset, next to the naive baseline' },
  { name: 'models', summary: 'The model registry: versions with lineage, aliases; promote, roll back, clean up' },
  { name: 'predict', summary: 'Score a whole data file with a registered model version (batch prediction)' },
  { name: 'serve', summary: 'Serve registered models over the TensorFlow-Serving REST API; follows promotions and rollbacks' },
  { name: 'labels', summary: 'Ground truth that arrives after the predictions' },
  { name: 'logs', summary: 'The prediction log: bring in predictions logged by another serving system' },
  { name: 'monitor', summary: 'Windows over the prediction log: traffic, metrics, drift, alerts (exit 1 when any alert fires)' },
  { name: 'check', summary: 'Checks of an adaptable ML system: leakage, what each feature is worth against its cost, label consistency' },
  { name: 'tune', summary: "Tune a prodml.yaml model's hyperparameters (random search with successive halving)" },
  { name: 'advise', summary: 'Checks that help an ML system adapt: how to serve a model' },
  { name: 'run', summary: 'Run the prodml.yaml pipeline up to a step' },
  { name: 'demo', summary: "Generate the demo workspace and run ProdML's main job on it" },
] as const;

export type CommandName = (typeof COMMANDS)[number]['name'];
