/**
 * npm run bench:serve (ONNX part) — an imported ONNX model beside a tfjs model of the same shape
 * (4 inputs → Dense 8 relu → 1 sigmoid): the PyTorch MLP of test/reference/onnx_fixtures.py,
 * scored by onnxruntime-node, and the same architecture trained by ProdML (scored by its plain-JS
 * dense forward pass). Both are served by one in-process `prodml serve` and batch-predicted on the
 * same file. Prints single-row request latency (p50/p99 of sequential requests over keep-alive
 * loopback) and batch rows/s for each, and the ONNX/tfjs ratios.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckSession } from '../src/core/data/duckdb';
import { openSource } from '../src/core/data/source';
import { openRegistry } from '../src/core/registry';
import { predictBatch } from '../src/core/serve/batch';
import { startServer } from '../src/core/serve/server';
import { trainFromConfig } from '../src/core/train/run';
import { onnxFixtures } from '../test/helpers/onnxFixtures';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 3000);
const BATCH_ROWS = Number(process.env['BENCH_BATCH_ROWS'] ?? 400_000);

async function main() {
  const fx = onnxFixtures();
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-bench-onnx-'));
  fs.copyFileSync(fx.data, path.join(ws, 'data.csv'));
  fs.copyFileSync(fx.file('torch_mlp.onnx'), path.join(ws, 'mlp.onnx'));
  fs.writeFileSync(
    path.join(ws, 'prodml.yaml'),
    `datasets:
  customers: {path: data.csv, label: y}
models:
  onnx_mlp:
    source: {onnx: mlp.onnx}
    dataset: customers
    task: binary
    features: [f1, f2, f3, f4]
  tfjs_mlp:
    dataset: customers
    task: binary
    features: {f1: standardize, f2: standardize, f3: standardize, f4: standardize}
    model: {type: dnn, hidden: [8]}
    training: {epochs: 30, batch_size: 32, learning_rate: 0.05, seed: 1}
`,
  );
  const registry = await openRegistry(ws);
  for (const m of ['onnx_mlp', 'tfjs_mlp']) {
    const o = await trainFromConfig(ws, m);
    await registry.promote(m, o.version, 'production', 'bench');
  }
  const rows = (await readRows(ws)).map(({ f1, f2, f3, f4 }) => ({ f1, f2, f3, f4 }));
  const server = await startServer({ root: ws, port: 0 });
  const results: Record<string, { p50: number; p99: number; rps: number; batch: number; engine?: string }> = {};
  try {
    for (const m of ['onnx_mlp', 'tfjs_mlp']) {
      const url = `${server.url}/v1/models/${m}:predict`;
      for (let i = 0; i < 300; i++) await post(url, rows[i % rows.length]!); // warm-up
      const lat: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < REQUESTS; i++) {
        const s = performance.now();
        await post(url, rows[i % rows.length]!);
        lat.push(performance.now() - s);
      }
      const secs = (performance.now() - t0) / 1000;
      lat.sort((a, b) => a - b);
      results[m] = { p50: lat[Math.floor(lat.length * 0.5)]!, p99: lat[Math.floor(lat.length * 0.99)]!, rps: REQUESTS / secs, batch: 0 };
    }
  } finally {
    await server.close();
  }

  // Batch: the same file for both, BATCH_ROWS rows (data.csv repeated).
  const big = path.join(ws, 'big.csv');
  const [header, ...lines] = fs.readFileSync(fx.data, 'utf8').trim().split('\n');
  const out = [header!];
  for (let i = 0; i < BATCH_ROWS; i++) out.push(lines[i % lines.length]!);
  fs.writeFileSync(big, out.join('\n') + '\n');
  const duck = await DuckSession.open({ allowedDirectories: [ws] });
  try {
    for (const m of ['onnx_mlp', 'tfjs_mlp']) {
      const v = await registry.getVersion(m, '@production');
      await predictBatch(duck, v, await openSource(big), path.join(ws, `warm-${m}.parquet`)); // warm-up
      const r = await predictBatch(duck, v, await openSource(big), path.join(ws, `${m}.parquet`));
      results[m]!.batch = r.rows / r.seconds;
    }
  } finally {
    duck.close();
  }
  const f = (x: number, d = 2) => x.toFixed(d);
  const o = results['onnx_mlp']!;
  const t = results['tfjs_mlp']!;
  console.log(`\nONNX vs tfjs, same shape (4 → 8 relu → 1 sigmoid); ${REQUESTS} sequential single-row requests each, batch of ${BATCH_ROWS.toLocaleString('en-US')} rows; load average ${os.loadavg()[0]!.toFixed(2)}`);
  console.log(`${'model'.padEnd(30)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(8)} ${'batch rows/s'.padStart(14)}`);
  console.log(`${'onnx_mlp (onnxruntime-node)'.padEnd(30)} ${f(o.p50, 3).padStart(8)} ${f(o.p99, 3).padStart(8)} ${f(o.rps, 0).padStart(8)} ${f(o.batch, 0).padStart(14)}`);
  console.log(`${'tfjs_mlp (dense-js forward)'.padEnd(30)} ${f(t.p50, 3).padStart(8)} ${f(t.p99, 3).padStart(8)} ${f(t.rps, 0).padStart(8)} ${f(t.batch, 0).padStart(14)}`);
  console.log(`ratio onnx/tfjs: p99 ${f(o.p99 / t.p99)}x, batch rows/s ${f(o.batch / t.batch)}x`);
  fs.rmSync(ws, { recursive: true, force: true });
}

async function readRows(ws: string): Promise<Record<string, unknown>[]> {
  const duck = await DuckSession.open({ allowedDirectories: [ws] });
  try {
    return await duck.rows(`SELECT f1, f2, f3, f4 FROM read_csv('${path.join(ws, 'data.csv')}', header = true)`);
  } finally {
    duck.close();
  }
}

async function post(url: string, row: Record<string, unknown>): Promise<void> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [row] }) });
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
