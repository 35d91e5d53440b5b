/**
 * npm run bench:cli — how fast `prodml` starts: `--version` and `--help` (which load only the
 * command table) against `node -e 0` measured in the same run, and a command that loads the
 * engine (`prodml models list` in an empty workspace) for scale. Target: `--version` at most 2x
 * `node -e 0`.
 * Usage: bench/cli.bench.ts [--runs 20]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 20) || 20;
const CLI = path.join(__dirname, '../dist/cli.js');
if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-bench-cli-'));
fs.mkdirSync(path.join(ws, '.prodml'));

function median(cmd: string[], cwd?: string): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, cmd, { cwd, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

// Interleaved warm-up, so the first measured figure is not the one paying for a cold cache.
median(['-e', '0']);
median([CLI, '--version']);
const node = median(['-e', '0']);
const version = median([CLI, '--version']);
const help = median([CLI, '--help']);
const list = median([CLI, 'models', 'list'], ws);
const row = (what: string, ms: number) => `${what.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / node).toFixed(2).padStart(5)}x`;
console.log(`median of ${runs} runs each, on ${os.cpus().length} cores (load ${os.loadavg()[0]!.toFixed(1)})`);
console.log(row('node -e 0 (reference)', node));
console.log(row('prodml --version', version));
console.log(row('prodml --help', help));
console.log(row('prodml models list (loads the engine)', list));
console.log(`--version / node -e 0 = ${(version / node).toFixed(2)} (target <= 2)`);
fs.rmSync(ws, { recursive: true, force: true });
