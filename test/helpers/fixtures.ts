import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 as rng } from '../../src/core/demo/random';

/** A fresh temp directory, removed when the test process exits. */
export function tempDir(prefix = 'prodml-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A mixed-type CSV with the shapes profiling must get right: nulls, a skewed float, a small
 * integer range, categories, booleans, dates, a constant, an ID and a mostly-missing column.
 */
export function writeMixedCsv(file: string, rows: number, seed = 7): void {
  const r = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const cats = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta, with comma'];
  const lines = ['age,income,kids,city,member,joined,source,user_id,note'];
  for (let i = 0; i < rows; i++) {
    const age = r() < 0.03 ? '' : String(18 + Math.floor(r() * 60));
    const income = (Math.exp(10 + 0.6 * normal()) / 1000).toFixed(3);
    const kids = String(Math.min(5, Math.floor(-Math.log(1 - r()) * 1.2)));
    const ci = Math.floor(Math.pow(r(), 1.8) * cats.length);
    const city = r() < 0.05 ? '' : cats[ci]!;
    const member = r() < 0.3 ? 'true' : 'false';
    const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 366) * 86400000).toISOString().slice(0, 10);
    const note = r() < 0.8 ? '' : `n${Math.floor(r() * 5)}`;
    const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    lines.push([age, income, kids, quote(city), member, day, 'web', `u${100000 + i}`, note].join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}
