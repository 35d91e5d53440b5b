/**
 * `prodml demo`: generate the demo workspace and tell its whole story with ProdML's own
 * operations, narrated line by line through `ctx.say` (the CLI prints them).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckSession } from '../data/duckdb';
import { openSource } from '../data/source';
import { DEMO_SCHEMA, DEMO_TRAIN_GLOB, prepareDemoWorkspace } from '../demo/prepare';
import { resetDemoWorkspace } from '../demo/reset';
import { replayFile } from '../demo/replay';
import { STREAM_MONTHS } from '../demo/workspace';
import type { ProfileResult } from '../data/profileTypes';
import { monitorModel } from '../monitor';
import { runPipeline } from '../pipeline/runner';
import { statePaths } from '../project/paths';
import { openWorkspace, type Workspace } from '../project/workspace';
import { openRegistry } from '../registry';
import { profileHtml } from '../report/profileHtml';
import { fmtNum } from '../report/profileView';
import { readSchema } from '../schema/io';
import { SERVING, type Anomaly } from '../schema/types';
import { validateData } from '../schema/validate';
import { addLabels } from '../serve/labels';
import { startServer } from '../serve/server';
import { trainFromConfig } from '../train/run';
import type { OpContext } from './context';
import { profile } from './profile';

export { DEMO_SCHEMA };

export interface DemoRequest {
  seed: number;
  rowsPerMonth?: number;
}

export interface DemoContext extends OpContext {
  /** One line of the narration. */
  say: (line: string) => void;
  /** The profile step's summary, as the front end writes a profile. */
  profileSummary: (r: ProfileResult) => string;
}

export interface DemoResult {
  root: string;
  /** The HTML profile report written. */
  report: string;
}

/**
 * The main job on the built-in demo: generate the workspace and infer its schema, profile the
 * training data against a batch whose distribution shifted, then validate every new batch
 * against the schema and the training data, then train, evaluate and register the demo model.
 * Then serve it, replay the months after deployment as requests, add their labels as they
 * "arrive", and monitor: the drifted month (May) is flagged.
 */
export async function demo(target: Pick<Workspace, 'root' | 'cwd'>, opts: DemoRequest, ctx: DemoContext): Promise<DemoResult> {
  const root = target.root;
  const here = (p: string) => path.relative(target.cwd, p) || '.';
  const out = ctx.say;
  // A second run tells the same story: the first run's logs, versions and runs are cleared first.
  if (await resetDemoWorkspace(root)) {
    out(`${here(root)} holds an earlier demo run: rebuilding it from scratch (its data/, schemas/ and .prodml/ are replaced; other files stay)`);
  }
  out(`Generating the demo workspace in ${root} (seed ${opts.seed})`);
  await prepareDemoWorkspace(root, { seed: opts.seed, rowsPerMonth: opts.rowsPerMonth });
  out(`Inferred ${DEMO_SCHEMA} from ${DEMO_TRAIN_GLOB}`);

  const train = path.join(root, DEMO_TRAIN_GLOB);
  const shifted = path.join(root, 'data/incoming/shifted-distribution.csv');
  out(`\n1. Profile: ${here(train)} against ${here(shifted)}`);
  const result = await profile(await openWorkspace({ workspace: root, cwd: target.cwd }), { data: here(train), compare: here(shifted) }, ctx);
  out(ctx.profileSummary(result));
  const report = path.join(statePaths(root).reports, 'profile.html');
  await fs.mkdir(path.dirname(report), { recursive: true });
  // The report's drift verdicts use the schema's thresholds, as step 2's validation does.
  await fs.writeFile(report, await profileHtml(result, new Date(), { schema: { features: (await readSchema(path.join(root, DEMO_SCHEMA))).features, file: DEMO_SCHEMA } }));

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

  return { root, report };
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
  let last: Awaited<ReturnType<typeof runPipeline>> | undefined;
  for (let i = 0; i < 2; i++) {
    const run = await runPipeline(root, { trigger: 'manual' });
    last = run;
    out(`   run ${run.id}: ${run.status}: ${run.summary}`);
    if (run.status !== 'quarantined') break;
  }
  out('   May waits in .prodml/quarantine/ with its anomaly report: a new population is for a person to admit, not for the pipeline.');
  if (last?.status === 'succeeded' && /promoted/.test(last.summary)) {
    out("   May's alerts belong to version 1, which served it; promoting the retrained version resolved them, so `prodml monitor` exits 0 until a window of the new version alerts.");
  }
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

