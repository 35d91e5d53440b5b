import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openRegistry, type Registry } from '../../src/core/registry';
import { readAliases, readHistory } from '../../src/core/registry/aliases';
import { tempDir } from '../helpers/fixtures';
import { assertRegistryConsistent, fakeVersion } from '../helpers/registryFixtures';
import { startChild } from '../helpers/registryProcess';

/** Three models killed in parallel, so the kills cost the time of one loop. */
const MODELS = ['alpha', 'beta', 'gamma'];
const KILLS_PER_MODEL = 10;
const WEIGHT_MIB = 16;
/** A child saves and promotes in a loop; a save of 16 MiB takes tens of ms, so kills land all over it. */
const MAX_DELAY_MS = 300;

interface Tally {
  kills: number;
  savedByChildren: number;
  killedMidSave: number;
  lockLeftHeld: number;
  aliasWriteCut: number;
  historyAheadOfAliases: number;
}

async function killLoop(registry: Registry, model: string, tally: Tally): Promise<void> {
  const dir = registry.modelDir(model);
  const checked = new Set<number>();
  const seed = fakeVersion(Buffer.alloc(16));
  let highest = await registry.saveVersion(model, seed.files, seed.card);
  for (let i = 0; i < KILLS_PER_MODEL; i++) {
    const { child, ready, lines } = startChild(['save-forever', path.dirname(path.dirname(registry.root)), model, String(WEIGHT_MIB)]);
    await ready;
    await new Promise((r) => setTimeout(r, Math.random() * MAX_DELAY_MS));
    child.kill('SIGKILL');
    await once(child, 'exit');
    tally.kills++;
    tally.savedByChildren += lines.filter((l) => l.startsWith('saved')).length;

    // What the kill interrupted, from what it left behind.
    const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    if (names.some((n) => n.startsWith('.tmp-'))) tally.killedMidSave++;
    if (names.includes('.lock')) tally.lockLeftHeld++;
    if (names.some((n) => /^(aliases\.json|\.last-version)\.\d+$/.test(n))) tally.aliasWriteCut++;

    // A reader, with no lock, sees only whole versions and aliases that point at them.
    const { versions } = await assertRegistryConsistent(registry, model, checked);
    const replayed: Record<string, number> = {};
    for (const e of await readHistory(dir)) replayed[e.alias] = e.to;
    const aliases = await readAliases(dir);
    if (Object.entries(replayed).some(([a, v]) => aliases[a] !== v)) tally.historyAheadOfAliases++;
    assert.ok(Math.max(...versions) >= highest, 'no whole version vanished');

    // The next save works at once (the dead holder's lock is broken), gets a fresh number, and tidies up.
    const v = fakeVersion(Buffer.alloc(1024, i));
    const saved = await registry.saveVersion(model, v.files, v.card);
    assert.ok(versions.every((n) => n < saved), `version ${saved} is new (had ${versions})`);
    const expected = new Set(['aliases.json', 'alias-history.jsonl', '.last-version']);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => !/^\d+$/.test(n) && !expected.has(n)),
      [],
      'temp dirs, temp files and the dead lock are gone',
    );
    assert.deepEqual(await readAliases(dir), { ...aliases, ...replayed }, 'aliases.json caught up with the history');
    highest = saved;
    await registry.gc(model, 2); // bounded disk use; gc after a kill is exercised too
    await assertRegistryConsistent(registry, model, checked);
  }
}

test(`SIGKILL at random moments of saving and promoting (${MODELS.length * KILLS_PER_MODEL} kills) never leaves a partial version or a dangling alias`, async (t) => {
  // A lock wait far below the 10 s staleness: a dead holder's lock that were not broken at once
  // would make the next save give up, instead of a timing assertion.
  const registry = await openRegistry(tempDir('prodml-registry-crash-'), { lockWaitMs: 2000 });
  const tally: Tally = { kills: 0, savedByChildren: 0, killedMidSave: 0, lockLeftHeld: 0, aliasWriteCut: 0, historyAheadOfAliases: 0 };
  await Promise.all(MODELS.map((m) => killLoop(registry, m, tally)));
  t.diagnostic(JSON.stringify(tally));
  assert.equal(tally.kills, MODELS.length * KILLS_PER_MODEL);
  assert.ok(tally.killedMidSave > 0, 'some kills hit a save in progress');
  assert.ok(tally.lockLeftHeld > 0, 'some kills left the lock held');
});
