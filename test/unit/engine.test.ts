/**
 * The engine process as the extension uses it: forked dist/engine.js over node IPC, with
 * progress, cancellation and malformed requests.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, sqlString } from '../../src/core/data/duckdb';
import { tempDir, writeMixedCsv } from '../helpers/fixtures';

const ENGINE = path.join(__dirname, '../../dist/engine.js');
const dir = tempDir('prodml-engine-');

type Msg = { id: number; progress?: { fraction: number; phase: string }; result?: unknown; error?: { kind: string; message: string } };

describe('engine process', () => {
  let child: ChildProcess;
  const inbox: Msg[] = [];
  const waiters: (() => void)[] = [];

  before(() => {
    child = fork(ENGINE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => {
      inbox.push(m as Msg);
      waiters.splice(0).forEach((w) => w());
    });
  });
  after(() => child.kill());

  async function until(pred: (m: Msg) => boolean, timeoutMs = 60_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = inbox.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error('timed out waiting for the engine');
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  test('profiles a file relative to cwd and returns the result and the webview view', async () => {
    writeMixedCsv(path.join(dir, 'small.csv'), 500);
    child.send({ id: 1, method: 'profile', params: { data: 'small.csv', cwd: dir, allowedDirectories: [dir] } });
    const done = await until((m) => m.id === 1 && ('result' in m || 'error' in m));
    assert.equal(done.error, undefined);
    const { result, view } = done.result as { result: { rows: number; source: string }; view: { columns: unknown[]; title: string } };
    assert.equal(result.rows, 500);
    assert.equal(view.title, 'small.csv');
    assert.equal(view.columns.length, 9);
  });

  test('bad input comes back as a bad_input error naming the file', async () => {
    child.send({ id: 2, method: 'profile', params: { data: 'nope.csv', cwd: dir, allowedDirectories: [dir] } });
    const done = await until((m) => m.id === 2 && 'error' in m);
    assert.deepEqual(done.error, { kind: 'bad_input', message: 'nope.csv: file not found' });
  });

  test('a long profile reports progress and stops when cancelled', async () => {
    const big = path.join(dir, 'big.csv');
    const s = await DuckSession.open({ allowedDirectories: [dir] });
    await s.run(`COPY (SELECT range AS i, random() AS x, 'c' || (range % 977)::VARCHAR AS s FROM range(8000000)) TO ${sqlString(big)} (FORMAT csv)`);
    s.close();
    child.send({ id: 3, method: 'profile', params: { data: 'big.csv', cwd: dir, allowedDirectories: [dir] } });
    await until((m) => m.id === 3 && m.progress !== undefined);
    child.send({ id: 4, method: 'cancel', params: { target: 3 } });
    const done = await until((m) => m.id === 3 && ('result' in m || 'error' in m));
    assert.equal(done.error?.kind, 'cancelled');
    // The engine stays up for the next request.
    child.send({ id: 5, method: 'profile', params: { data: 'small.csv', cwd: dir, allowedDirectories: [dir] } });
    assert.ok('result' in (await until((m) => m.id === 5 && ('result' in m || 'error' in m))));
  });

  test('a malformed request is answered with an error, not a crash', async () => {
    child.send({ id: 6, method: 'rm -rf', params: {} });
    const done = await until((m) => m.id === 6);
    assert.equal(done.error?.kind, 'internal');
    assert.match(done.error!.message, /malformed request/);
    assert.equal(child.exitCode, null);
  });
});
