import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckSession } from '../core/data/duckdb';
import { openSource } from '../core/data/source';
import { DEMO_SCHEMA, DEMO_TRAIN_GLOB, prepareDemoWorkspace } from '../core/demo/prepare';
import { profileHtml } from '../core/report/profileHtml';
import { readSchema } from '../core/schema/io';
import { SERVING, type Anomaly } from '../core/schema/types';
import { validateData } from '../core/schema/validate';
import { openRegistry } from '../core/registry';
import { fmtNum } from '../core/report/profileView';
import { trainFromConfig } from '../core/train/run';
import { profileText } from './profileCommand';
import * as ops from '../core/ops';
import { openWorkspace } from '../core/project/workspace';
import type { Command } from 'commander';
import { action } from './run';
import { progressBar } from './progress';
import { STREAM_MONTHS } from '../core/demo/workspace';
import { replayFile } from '../core/demo/replay';
import { startServer } from '../core/serve/server';
import { addLabels } from '../core/serve/labels';
import { monitorModel } from '../core/monitor';
import { runPipeline } from '../core/pipeline/runner';
import { statePaths } from '../core/project/paths';

/**
 * The main job on the built-in demo: generate the workspace and infer its schema, profile the
 * training data against a batch whose distribution shifted, then validate every new batch
 * against the schema and the training data, then train, evaluate and register the demo model.
 * Then serve it, replay the months after deployment as requests, add their labels as they
 * "arrive", and monitor: the drifted month (May) is flagged.
 */
export async function demoCommand(dir: string, opts: { seed: number }): Promise<number> {
  const root = path.resolve(dir);
  const here = (p: string) => path.relative(process.cwd(), p) || '.';
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`Generating the demo workspace in ${root} (seed ${opts.seed})`);
  await prepareDemoWorkspace(root, { seed: opts.seed });
  out(`Inferred ${DEMO_SCHEMA} from ${DEMO_TRAIN_GLOB}`);

  const train = path.join(root, DEMO_TRAIN_GLOB);
  const shifted = path.join(root, 'data/incoming/shifted-distribution.csv');
  out(`\n1. Profile: ${here(train)} against ${here(shifted)}`);
  const bar = progressBar();
  let result;
  try {
    result = await ops.profile(await openWorkspace({ workspace: root }), { data: here(train), compare: here(shifted) }, { progress: (p) => bar.update(p.fraction, p.phase) });
  } finally {
    bar.stop();
  }
  out(profileText(result));
  const report = path.join(statePaths(root).reports, 'profile.html');
  await fs.mkdir(path.dirname(report), { recursive: true });
  await fs.writeFile(report, await profileHtml(result));

  out(`2. Validate each new batch against ${DEMO_SCHEMA} (drift and skew against the training data)`);
  const schema = await readSchema(path.join(root, DEMO_SCHEMA));
  const session = await DuckSession.open({ allowedDirectories: [root] });
  try {
    const baseline = await openSource(DEMO_TRAIN_GLOB, root);
    const batches = [
      ...(await fs.readdir(path.join(root, 'data/incoming'))).filter((f) => f.endsWith('.csv')).map((f) => `data/incoming/${f}`),
      ...(await fs.readdir(path.join(root, 'data/serving'))).filter((f) => f.endsWith('.csv')).map((f) => `data/serving/${f}`),
    ].sort();
    const w = Math.max(...batches.map((b) => b.length));
    for (const batch of batches) {
      const environment = batch.startsWith('data/serving/') ? SERVING : undefined;
      const r = await validateData(session, await openSource(batch, root), schema, { baseline, environment });
      const errors = r.anomalies.filter((a) => a.severity === 'error');
      const verdict = errors.length > 0 ? 'FAILED' : 'ok    ';
      out(`   ${batch.padEnd(w)}  ${verdict}  ${headline(errors.length > 0 ? errors : r.anomalies)}`);
    }
  } finally {
    session.close();
  }

  out(`\n3. Train the baby_weight model of prodml.yaml, evaluate it on the latest months, register it`);
  const trained = await trainFromConfig(root, 'baby_weight', {});
  const rmse = trained.evaluation.comparison.find((c) => c.metric === 'rmse');
  out(`   baby_weight:${trained.version}: RMSE ${fmtNum(rmse?.model)} lb on ${trained.rows.eval.toLocaleString('en-US')} held-out rows (predicting the mean: ${fmtNum(rmse?.baseline)}), backend ${trained.backend}`);
  if (trained.blessed) {
    const registry = await openRegistry(root);
    await registry.promote('baby_weight', trained.version, 'production', 'demo: blessed on first training');
    out(`   blessed and promoted to production (prodml models list baby_weight)`);
  } else out('   not blessed: registered but not promoted');

  if (trained.blessed) {
    await serveAndMonitor(root, out);
    await retrainOnNewMonths(root, out);
  }

  out(`\nHTML report: ${report}`);
  out(`See a batch's problems where they are:  prodml validate ${here(path.join(root, 'data/incoming/new-category.csv'))} --schema ${here(path.join(root, DEMO_SCHEMA))}`);
  out(`Open the workspace in VS Code:  code ${here(root)}`);
  out('Then open a file in data/incoming/ to see its anomalies inline and in the Problems panel, or run "ProdML: Profile Dataset".');
  return 0;
}

/** Steps 4 and 5: the story after deployment. */
async function serveAndMonitor(root: string, out: (s: string) => void): Promise<void> {
  out(`\n4. Serve baby_weight@production over HTTP, replay the months after deployment (data/stream) as requests, then add their weights as labels`);
  const server = await startServer({ root, port: 0 });
  try {
    for (const m of STREAM_MONTHS) {
      const file = path.join(root, `data/stream/natality-2025-${String(m).padStart(2, '0')}.csv`);
      const n = await replayFile(server.url, 'baby_weight', file);
      out(`   ${path.relative(root, file)}: ${n.toLocaleString('en-US')} predictions served`);
    }
    const metrics = server.metrics();
    out(`   ${metrics.requests.total.toLocaleString('en-US')} requests to ${server.url}, p50 ${metrics.latency_ms.p50.toFixed(2)} ms, p99 ${metrics.latency_ms.p99.toFixed(2)} ms (server side)`);
  } finally {
    await server.close();
  }
  const session = await DuckSession.open({ allowedDirectories: [root] });
  try {
    let matched = 0;
    for (const m of STREAM_MONTHS) {
      const r = await addLabels(root, 'baby_weight', path.join(root, `data/stream/natality-2025-${String(m).padStart(2, '0')}.csv`), { session });
      matched += r.matched;
    }
    out(`   ${matched.toLocaleString('en-US')} labels joined to their predictions by birth_id`);

    out(`\n5. Monitor: one window per month of event_date, drift thresholds calibrated on the training months`);
    const report = await monitorModel(session, root, 'baby_weight');
    for (const w of report.windows) {
      const drifted = w.drift.filter((d) => d.alert).map((d) => d.feature);
      out(`   ${w.window}  ${String(w.count).padStart(5)} served  RMSE ${fmtNum(w.metrics?.['rmse'] ?? undefined)}  ${drifted.length ? `DRIFT: ${drifted.join(', ')}` : 'ok'}`);
    }
    for (const a of report.alerts) out(`   ALERT ${a.message}`);
    if (report.alerts.length > 0) out(`   \`prodml monitor baby_weight\` exits 1 on these alerts, so a scheduled job can page someone; in VS Code, "ProdML: Show Monitoring Dashboard".`);
  } finally {
    session.close();
  }
}

/**
 * Step 6, dynamic training: the labelled months after deployment land in the pipeline's landing
 * folder; the drifted month is quarantined for a person to judge, the others join the training
 * data, and a retrained version is promoted if blessed.
 */
async function retrainOnNewMonths(root: string, out: (s: string) => void): Promise<void> {
  out(`\n6. Retrain: the labelled months after deployment land in data/landing/ and the pipeline (prodml run) takes them`);
  const landing = path.join(root, 'data/landing');
  await fs.mkdir(landing, { recursive: true });
  for (const m of STREAM_MONTHS) {
    const name = `natality-2025-${String(m).padStart(2, '0')}.csv`;
    // The training data has no birth_id: the request key is not a feature.
    const lines = (await fs.readFile(path.join(root, 'data/stream', name), 'utf8')).split('\n');
    await fs.writeFile(path.join(landing, name), lines.map((l) => l.slice(l.indexOf(',') + 1)).join('\n'));
  }
  for (let i = 0; i < 2; i++) {
    const run = await runPipeline(root, { trigger: 'manual' });
    out(`   run ${run.id}: ${run.status}: ${run.summary}`);
    if (run.status !== 'quarantined') break;
  }
  out('   May waits in .prodml/quarantine/ with its anomaly report: a new population is for a person to admit, not for the pipeline.');
  out('   With triggers (prodml run --watch, or VS Code on this workspace), each batch dropped in data/landing/ starts such a run.');
}

/** One line per batch: the kinds of finding and the features they are on. */
function headline(anomalies: Anomaly[]): string {
  if (anomalies.length === 0) return 'no anomalies';
  const byType = new Map<string, Set<string>>();
  for (const a of anomalies) {
    const features = byType.get(a.type) ?? new Set<string>();
    if (a.feature) features.add(a.feature);
    byType.set(a.type, features);
  }
  return [...byType].map(([type, f]) => `${type}${f.size ? ` (${[...f].join(', ')})` : ''}`).join('; ');
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description("Generate the demo workspace and run ProdML's main job on it")
    .argument('[dir]', 'where to generate the workspace', 'demo-workspace')
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 42)
    .action(action(demoCommand));
}
