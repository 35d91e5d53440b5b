/** `prodml serve` as a process: what it prints, swaps it reports, and a graceful SIGTERM that writes the log. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { openRegistry } from '../../src/core/registry';
import { logRecords, MODEL, predict, servingWorkspace, streamRows } from '../helpers/serveFixtures';

const MAIN = path.join(__dirname, '../../src/cli/main.ts');

function serve(ws: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--workspace', ws, '--port', '0', ...args], { cwd: path.join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const lines = async (n: number) => {
    for (let i = 0; i < 6000 && out.split('\n').length <= n; i++) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return out.split('\n').slice(0, n);
  };
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, lines, exit, output: () => out };
}

test('prodml serve prints where it listens and each swap; SIGTERM finishes and writes every log line', async () => {
  const ws = await servingWorkspace({ versions: 2, promote: 1 });
  const json = serve(ws, ['--json']);
  const [first] = await json.lines(1);
  const listening = JSON.parse(first!);
  assert.deepEqual(listening.models, [{ model: MODEL, version: 1, alias: 'production' }]);
  assert.match(listening.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  let answered = 0;
  for (let i = 0; i < 20; i++) if ((await predict(listening.url, streamRows(ws, '2025-03', 5))).status === 200) answered += 5;
  await (await openRegistry(ws)).promote(MODEL, 2, 'production');
  const [, swapped] = await json.lines(2);
  assert.deepEqual(JSON.parse(swapped!), { event: 'swapped', model: MODEL, route: 'primary', alias: 'production', from: 1, to: 2 });
  json.child.kill('SIGTERM');
  assert.equal(await json.exit, 0);
  assert.deepEqual(JSON.parse(json.output().trim().split('\n').at(-1)!), { event: 'closed', written: answered, dropped: 0, queued: 0 });
  assert.equal(logRecords(ws).length, answered);

  const text = serve(ws, []);
  const [head] = await text.lines(1);
  assert.match(head!, /^ProdML serving baby_weight:2 at http:\/\/127\.0\.0\.1:\d+$/);
  text.child.kill('SIGINT');
  assert.equal(await text.exit, 0);

  const bad = serve(ws, ['--model', 'nope']);
  assert.equal(await bad.exit, 2);
});
