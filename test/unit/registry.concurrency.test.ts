import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { openRegistry, type AliasChange } from '../../src/core/registry';
import { readAliases } from '../../src/core/registry/aliases';
import { tempDir } from '../helpers/fixtures';
import { assertRegistryConsistent, fakeVersion } from '../helpers/registryFixtures';
import { startChild } from '../helpers/registryProcess';

/** Starts the children, waits until all are ready, then lets them go at the same instant. */
async function race(workspace: string, argsOf: (i: number) => string[], n: number): Promise<string[][]> {
  const children = Array.from({ length: n }, (_, i) => startChild(argsOf(i)));
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.child.stdin!.write('go\n');
  const codes = await Promise.all(children.map(async (c) => (await once(c.child, 'exit'))[0]));
  assert.deepEqual(codes, children.map(() => 0), 'every child finished');
  return children.map((c) => c.lines);
}

const PROMOTERS = 4;
const PROMOTIONS = 40;

test(`${PROMOTERS} processes promoting at once, ${PROMOTIONS} times each, are serialised: one history chain, every change once`, async (t) => {
  const workspace = tempDir('prodml-registry-race-');
  const registry = await openRegistry(workspace);
  for (let i = 0; i < 5; i++) {
    const v = fakeVersion(Buffer.alloc(64, i));
    await registry.saveVersion('m', v.files, v.card);
  }
  const started = Date.now();
  const out = await race(workspace, (i) => ['promote', workspace, 'm', String(PROMOTIONS), `p${i}`, '1,2,3,4,5'], PROMOTERS);
  const changes = out.map((lines) => lines.map((l) => JSON.parse(l) as AliasChange));
  const made = changes.flat().filter((c) => c.changed);

  const { history } = await assertRegistryConsistent(registry, 'm'); // includes: each event's `from` is the previous event's `to`
  assert.equal(history.length, made.length, 'one event per change, none for no-ops');
  const reasons = history.map((e) => e.reason);
  assert.equal(new Set(reasons).size, reasons.length, 'no event twice');
  assert.deepEqual([...reasons].sort(), made.map((c) => c.reason).sort(), 'every change has its event');
  for (const c of made) {
    const e = history.find((x) => x.reason === c.reason)!;
    assert.deepEqual([e.from, e.to], [c.from, c.to], `${c.reason}: the event says what the caller was told`);
  }
  for (let i = 0; i < PROMOTERS; i++) {
    const own = reasons.filter((r) => r.startsWith(`p${i}-`));
    assert.deepEqual(own, made.filter((c) => c.reason.startsWith(`p${i}-`)).map((c) => c.reason), `p${i}'s changes in its own order`);
  }
  for (let i = 1; i < history.length; i++) assert.ok(history[i]!.at >= history[i - 1]!.at, 'event times never go back');
  assert.deepEqual(await readAliases(registry.modelDir('m')), { production: history.at(-1)!.to }, 'aliases.json is the last event');
  const interleaved = history.filter((e, i) => i > 0 && e.reason.split('-')[0] !== history[i - 1]!.reason.split('-')[0]).length;
  t.diagnostic(`${PROMOTERS * PROMOTIONS} promotions, ${made.length} changes, ${PROMOTERS * PROMOTIONS - made.length} no-ops; writer switched ${interleaved} times; ${Date.now() - started} ms`);
  assert.ok(interleaved > PROMOTERS, 'the processes really ran at the same time');
});

test('3 processes saving at once get distinct, consecutive version numbers and their own files', async () => {
  const workspace = tempDir('prodml-registry-race-');
  const registry = await openRegistry(workspace);
  const out = await race(workspace, (i) => ['save', workspace, 'm', '4', `w${i}`], 3);
  const got = out.flat().map(Number);
  assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
  await assertRegistryConsistent(registry, 'm'); // each weights.bin matches its own card's checksum
  for (const [i, lines] of out.entries()) {
    for (const v of lines) assert.equal((await registry.getVersion('m', Number(v))).card.params.writer, `w${i}`);
  }
  assert.equal(path.basename(registry.modelDir('m')), 'm');
});
