/**
 * Server-bound load for bench:serve: wrk (C, one thread) costs a loopback request about a third of
 * the CPU autocannon does (15 against 33-44 µs here), so on a 2-core machine the server, not the
 * load generator, is what runs out of CPU. Nothing is pinned: a deployed server's helper threads
 * (garbage collector, log writes) are not confined to its request thread's CPU, and pinning with
 * taskset gave ratios in the same range here (64-80% pinned, 63-84% not). Optional: without wrk on
 * PATH (Debian package `wrk`) the bench says how to get it and skips this part.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface WrkRun {
  rps: number;
  ok: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  failed: number;
  p50: number;
  p99: number;
}

export function hasCommand(cmd: string, arg = '--version'): boolean {
  const r = spawnSync(cmd, [arg], { stdio: 'ignore' });
  return r.error === undefined;
}

/** A wrk Lua script that POSTs `bodies` in turn as JSON. */
export function writeWrkScript(file: string, bodies: string[]): void {
  // Lua long brackets need a level whose closing bracket no body contains.
  let level = '';
  while (bodies.some((b) => b.includes(`]${level}]`))) level += '=';
  const list = bodies.map((b) => `[${level}[${b}]${level}]`).join(',\n');
  fs.writeFileSync(file, `local bodies = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i % #bodies + 1\n  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])\nend\n`);
}

/** One wrk run: 1 thread, `connections` keep-alive connections. */
export async function wrk(url: string, script: string, seconds: number, connections: number): Promise<WrkRun> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  return parseWrk(out, seconds);
}

/** The figures of wrk's report (latencies in ms). */
export function parseWrk(out: string, seconds: number): WrkRun {
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socket ? socket.slice(1).reduce((a, x) => a + Number(x), 0) : 0;
  const ms = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (!m) return Number.NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const ok = total - non2xx;
  return { rps: ok / seconds, ok, failed: non2xx + errors, p50: ms('50'), p99: ms('99') };
}

/** The machine's CPU time so far, and the part of it stolen (the hypervisor running other guests), in ticks. */
export function cpuTimes(): { steal: number; total: number } {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return { steal: Number.NaN, total: Number.NaN };
  }
}

/** The stolen share of the CPU time since `since`. */
export function stealShare(since: { steal: number; total: number }): number {
  const now = cpuTimes();
  return (now.steal - since.steal) / Math.max(1, now.total - since.total);
}
