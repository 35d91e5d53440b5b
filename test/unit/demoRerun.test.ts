/**
 * `prodml demo` run twice on the same folder: the second run rebuilds from scratch and ends in
 * the same state (prediction log, registry, pipeline runs, quarantine, training data) and tells
 * the same story, line for line, apart from times and ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { demoCommand } from '../../src/cli/demoCommand';
import { tempDir } from '../helpers/fixtures';

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

function state(root: string) {
  const logs = path.join(root, '.prodml/logs/baby_weight');
  const records = files(logs)
    .filter((f) => /^predictions-.*\.jsonl$/.test(path.basename(f)))
    .reduce((n, f) => n + fs.readFileSync(path.join(logs, f), 'utf8').split('\n').filter(Boolean).length, 0);
  const registry = path.join(root, '.prodml/registry/baby_weight');
  const versions = fs.readdirSync(registry).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
  const aliases = JSON.parse(fs.readFileSync(path.join(registry, 'aliases.json'), 'utf8')) as Record<string, number>;
  const quarantine = path.join(root, '.prodml/quarantine');
  return {
    records,
    versions,
    production: aliases['production'],
    quarantinedRuns: fs.existsSync(quarantine) ? fs.readdirSync(quarantine).length : 0,
    quarantinedFiles: files(quarantine).map((f) => path.basename(f)),
    runs: fs.readdirSync(path.join(root, '.prodml/runs')).length,
    train: files(path.join(root, 'data/train')),
    landing: files(path.join(root, 'data/landing')),
  };
}

/** The narration without what differs between two honest runs: run ids, clock times, ports, durations, sampled medians. */
function story(lines: string[]): string[] {
  return lines
    .join('\n')
    .split('\n')
    .map((l) =>
      l
        .replace(/\b\d{8}-\d{6}-\d{3}-[0-9a-f]{4}\b/g, '<run>')
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
        .replace(/p50 [\d.]+ ms, p99 [\d.]+ ms/g, 'p50 <ms>, p99 <ms>')
        .replace(/\(\d+(\.\d+)? m?s\)/g, '(<time>)')
        // Above 8,192 rows a median comes from a reservoir sample (README, "How it computes"): approximate, not seeded.
        .replace(/median [\d.,-]+/g, 'median <approx>'),
    );
}

test('a second `prodml demo` rebuilds from scratch: same state, same narration', { timeout: 300_000 }, async () => {
  const root = path.join(tempDir('prodml-demo-rerun-'), 'demo');
  const first: string[] = [];
  assert.equal(await demoCommand(root, { seed: 42, rowsPerMonth: 800, out: (l) => first.push(l) }), 0);
  const after1 = state(root);
  // The first run is the story the README tells: served, labelled, one month quarantined, retrained.
  assert.equal(after1.records, 4 * 800);
  assert.deepEqual(after1.versions, [1, 2]);
  assert.equal(after1.production, 2);
  assert.equal(after1.quarantinedRuns, 1);
  assert.deepEqual(after1.quarantinedFiles.filter((f) => f.endsWith('.csv')), ['natality-2025-05.csv']);
  assert.equal(after1.runs, 2);

  // Something of the person's own in the folder survives the rebuild.
  fs.writeFileSync(path.join(root, 'notes.txt'), 'mine');
  const second: string[] = [];
  assert.equal(await demoCommand(root, { seed: 42, rowsPerMonth: 800, out: (l) => second.push(l) }), 0);
  assert.deepEqual(state(root), after1);
  assert.equal(fs.readFileSync(path.join(root, 'notes.txt'), 'utf8'), 'mine');

  assert.match(second[0]!, /holds an earlier demo run: rebuilding it from scratch/);
  assert.doesNotMatch(first.join('\n'), /earlier demo run/);
  assert.deepEqual(story(second.slice(1)), story(first));
  // It ends with the ways into the editor, as commands that work when pasted.
  const next = first.join('\n');
  assert.match(next, /In VS Code: +(npm run package && )?code --install-extension \S*prodml\.vsix && code \S+/);
  assert.match(next, /In VS Code in a browser: +npm (--prefix \S+ )?run editor/);
  assert.match(next, /The monitor on the CLI: +cd \S+ && (npx prodml|prodml|node \S+cli\.js) monitor baby_weight/);
});
