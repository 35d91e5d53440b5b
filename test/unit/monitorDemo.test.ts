/**
 * The demo's story: baby_weight is trained and promoted, the post-deployment months of
 * data/stream are replayed (scored by the Scorer, logged per logTypes with their birth_id key,
 * windows on event_date) and their weights arrive as labels. The monitor flags May, the drifted
 * month, on mother_age and gestation_weeks, and not March, April or June; every chart renders.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { STREAM_MONTHS } from '../../src/core/demo/workspace';
import { monitorModel, type MonitorReport } from '../../src/core/monitor';
import { openRegistry } from '../../src/core/registry';
import { monitorCharts } from '../../src/core/report/monitorCharts';
import { renderSvg } from '../../src/core/report/profileHtml';
import type { LabelRecord, PredictionRecord } from '../../src/core/serve/logTypes';
import { loadScorer, predictionValue } from '../../src/core/serve/scorer';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const ws = path.join(tempDir('prodml-monitor-demo-'), 'demo');

describe('monitoring the demo stream', () => {
  let report: MonitorReport;
  before(async () => {
    await prepareDemoWorkspace(ws, { rowsPerMonth: 500 });
    await trainFromConfig(ws, 'baby_weight');
    const registry = await openRegistry(ws);
    await registry.promote('baby_weight', 1);
    const scorer = await loadScorer(await registry.getVersion('baby_weight', '@production'));
    const session = await DuckSession.open({ allowedDirectories: [ws] });
    try {
      const logs = path.join(ws, '.prodml/logs/baby_weight');
      fs.mkdirSync(path.join(logs, 'labels'), { recursive: true });
      for (const m of STREAM_MONTHS) {
        const mm = String(m).padStart(2, '0');
        const rows = await session.rows(`SELECT * FROM ${(await openSource(`data/stream/natality-2025-${mm}.csv`, ws)).scan}`);
        // What a client sends: every field but the label, dates as JSON strings.
        const instances = rows.map(({ weight_pounds: _label, ...rest }) => Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v instanceof Date ? v.toISOString().slice(0, 10) : v])));
        const out = scorer.score(instances);
        const records = instances.map((inputs, i): PredictionRecord => ({
          request_id: `r2025${mm}-${i}-0`,
          // Replayed in one go: the request times say nothing, event_date places each birth.
          time: new Date(Date.UTC(2025, 6, 1, 12, 0, i % 60)).toISOString(),
          model: 'baby_weight',
          version: scorer.version,
          route: 'primary',
          key: String(inputs['birth_id']),
          inputs,
          prediction: predictionValue(scorer, out, i),
        }));
        fs.writeFileSync(path.join(logs, `predictions-2025-07-01-${m}.jsonl`), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
        const labels = rows.map((r): LabelRecord => ({ key: String(r['birth_id']), label: r['weight_pounds'] as number, time: '2025-08-01T00:00:00Z' }));
        fs.writeFileSync(path.join(logs, `labels/labels-${mm}.jsonl`), labels.map((l) => JSON.stringify(l)).join('\n') + '\n');
      }
      scorer.dispose();
      report = await monitorModel(session, ws, 'baby_weight');
    } finally {
      session.close();
    }
  });

  test('one window per month of event_date, every instance labelled by its birth_id', () => {
    assert.deepEqual(report.windows.map((w) => [w.window, w.count, w.labelled]), STREAM_MONTHS.map((m) => [`2025-0${m}`, 500, 500]));
    assert.equal(report.time_column, 'event_date');
    assert.equal(report.baselines[0]!.reference, '12 months of event_date');
    for (const w of report.windows) assert.ok(w.metrics!['rmse']! < 1.3, `${w.window} rmse ${w.metrics!['rmse']}`);
  });

  test('flags May on mother_age, gestation_weeks and the prediction, and no other month', () => {
    const drifted = (f: string) => report.alerts.filter((a) => a.feature === f).map((a) => a.window);
    assert.deepEqual(drifted('mother_age'), ['2025-05']);
    assert.deepEqual(drifted('gestation_weeks'), ['2025-05']);
    assert.deepEqual(drifted('(prediction)'), ['2025-05']);
    assert.deepEqual([...new Set(report.alerts.map((a) => a.window))], ['2025-05'], report.alerts.map((a) => a.message).join('\n'));
    assert.ok(report.alerts.every((a) => a.kind === 'calibrated'));
    const age = report.alerts.find((a) => a.feature === 'mother_age')!;
    assert.match(age.message, /mean \+ 3σ on the log scale over 12 windows of the training data\); the mean moved from 2\d\.\d to 3\d(\.\d)? \(\+1\.\d sd\)/);
  });

  test('every dashboard chart renders to SVG', async () => {
    const charts = monitorCharts(report, 600);
    assert.deepEqual(Object.keys(charts).sort(), ['drift', 'metric', 'predictions', 'residualsByInput', 'residualsOverTime']);
    for (const [name, spec] of Object.entries(charts)) {
      const svg = await renderSvg(spec!);
      assert.match(svg, /^<svg/, name);
      assert.ok(svg.length > 2000, `${name}: ${svg.length} bytes`);
    }
    const drift = await renderSvg(charts.drift);
    for (const label of ['mother_age', 'gestation_weeks', '(prediction)', '2025-05']) assert.ok(drift.includes(label), label);
  });
});
