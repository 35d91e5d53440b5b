/**
 * Scoring an exported model (npm run bench:export): rows/s of the exported ONNX graph on
 * onnxruntime-node (transforms and network in the graph, inputs built by onnxFeeds) next to
 * ProdML's own Scorer (transform.json + the Dense forward pass) on the same in-memory rows of the
 * demo's natality data and the demo DNN, in batches and row by row; and the largest difference
 * between the two over every row (the 1e-5 the tests hold them to).
 * Usage: bench/export.bench.ts [--rows 200000] [--single 5000] [--repeat 3]
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { generateNatalityRows } from '../src/core/demo/natality';
import { prepareDemoWorkspace } from '../src/core/demo/prepare';
import { exportModel } from '../src/core/export/exportModel';
import { onnxFeeds } from '../src/core/export/onnxFeeds';
import { openWorkspace } from '../src/core/project/workspace';
import { openRegistry } from '../src/core/registry';
import { loadScorer } from '../src/core/serve/scorer';
import { trainFromConfig } from '../src/core/train/run';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const ROWS = Number(arg('--rows', '200000'));
const SINGLE = Number(arg('--single', '5000'));
const REPEAT = Number(arg('--repeat', '3'));

async function best(fn: () => Promise<unknown> | unknown): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-bench-export-'));
  try {
    const ws = path.join(dir, 'demo');
    await prepareDemoWorkspace(ws, { rowsPerMonth: 1000 });
    await trainFromConfig(ws, 'baby_weight');
    const version = await (await openRegistry(ws)).getVersion('baby_weight', 1);
    const file = path.join(dir, 'baby_weight.onnx');
    const exported = await exportModel(await openWorkspace({ workspace: ws, cwd: ws }), { model: 'baby_weight:1', format: 'onnx', out: file });
    const rows = generateNatalityRows({ seed: 7, rows: ROWS, start: new Date(Date.UTC(2025, 0, 1)), end: new Date(Date.UTC(2026, 0, 1)) }) as unknown as Record<string, unknown>[];
    const scorer = await loadScorer(version);
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const runOnnx = async (rs: Record<string, unknown>[]) => {
      const feeds = Object.fromEntries(Object.entries(onnxFeeds(exported.inputs, rs)).map(([k, f]) => [k, new ort.Tensor(f.type, f.data, f.dims)]));
      return (await session.run(feeds))['prediction']!.data as Float32Array;
    };

    const a = scorer.score(rows);
    const b = await runOnnx(rows);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));

    const tScorer = await best(() => scorer.score(rows));
    const tOnnx = await best(() => runOnnx(rows));
    const few = rows.slice(0, SINGLE);
    const tScorer1 = await best(() => few.forEach((r) => scorer.score([r])));
    const tOnnx1 = await best(async () => {
      for (const r of few) await runOnnx([r]);
    });
    const rate = (n: number, t: number) => Math.round(n / t).toLocaleString('en-US');
    console.log(`exported baby_weight:1 (${exported.inputs.length} inputs, ${exported.bytes.toLocaleString('en-US')} bytes); ${ROWS.toLocaleString('en-US')} natality rows; best of ${REPEAT}; 1 thread`);
    console.log(`batch   Scorer (dense-js): ${rate(ROWS, tScorer)} rows/s   ONNX (onnxruntime-node): ${rate(ROWS, tOnnx)} rows/s   ONNX/Scorer time ratio ${(tOnnx / tScorer).toFixed(2)}`);
    console.log(`single  Scorer: ${((tScorer1 / SINGLE) * 1e6).toFixed(1)} µs/row   ONNX: ${((tOnnx1 / SINGLE) * 1e6).toFixed(1)} µs/row   ratio ${(tOnnx1 / tScorer1).toFixed(2)}`);
    console.log(`largest |ONNX - Scorer| over ${a.length.toLocaleString('en-US')} predictions: ${maxDiff.toExponential(2)}`);
    scorer.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
