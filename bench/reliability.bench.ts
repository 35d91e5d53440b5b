/**
 * npm run bench:reliability — does serving hold up when things go wrong (issue 18)? Prints figures:
 *
 *   load      autocannon on :predict while production is promoted and rolled back every 2 s:
 *             failed requests, and the 200 answers against the prediction log (lost, doubled)
 *   kill -9   of `prodml train` and of `prodml models promote`/`rollback` at random moments:
 *             partial versions visible, invalid aliases, and whether the next command succeeds
 *             of the server mid-load: whether `prodml monitor` still reads the log
 *   hostile   deep nesting, __proto__ keys, a million instances: the status codes, and the
 *             server's peak memory against its own baseline
 *   at once   two trains, two pipeline runs: exit codes and messages, registry still valid
 *
 * Options: --seconds N (the load phase, default 60), --kills N (kills of each kind, default 30),
 * --server-kills N (default 3), --only load,server,hostile,kills,concurrent. The commands run as real child processes (dist/cli.js, built by
 * the npm script), the server too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDemoWorkspace } from '../src/core/demo/prepare';
import { openRegistry } from '../src/core/registry';
import { loadScorer } from '../src/core/serve/scorer';
import { trainFromConfig } from '../src/core/train/run';
import { streamBodies } from './streamBodies';

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  requests: { average: number; total: number };
}
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const { values: opt } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, kills: { type: 'string', default: '30' }, 'server-kills': { type: 'string', default: '3' }, only: { type: 'string' } } });
/** --only load,server,hostile,kills,concurrent: run only these phases. */
const ONLY = opt.only ? new Set(opt.only.split(',')) : undefined;
const phase = (name: string) => !ONLY || ONLY.has(name);
const SECONDS = Number(opt.seconds);
const KILLS = Number(opt.kills);
const SERVER_KILLS = Number(opt['server-kills']);
const REPO = path.join(__dirname, '..');
const CLI = fs.existsSync(path.join(REPO, 'dist/cli.js')) ? [path.join(REPO, 'dist/cli.js')] : ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts')];
const MODEL = 'baby_weight';

const figures: [string, string][] = [];
const say = (name: string, value: string) => {
  figures.push([name, value]);
  process.stderr.write(`  ${name}: ${value}\n`);
};

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI; `killAfterMs` sends SIGKILL then. */
function cli(ws: string, args: string[], killAfterMs?: number): Promise<Done> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...CLI, ...args, '--workspace', ws], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) => child.once('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
  }));
}

async function startServer(ws: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...CLI, 'serve', '--workspace', ws, '--port', '0', '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!).url as string);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, url };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** Every version the registry lists loads whole, and every alias points at one of them. */
async function registryHealth(ws: string): Promise<{ versions: number; partial: number; badAliases: number }> {
  const registry = await openRegistry(ws);
  const versions = await registry.listVersions(MODEL);
  let partial = 0;
  for (const v of versions) {
    try {
      const mv = await registry.getVersion(MODEL, v.version);
      for (const f of Object.values(mv.files)) if (!fs.existsSync(f)) throw new Error(`missing ${f}`);
      const scorer = await loadScorer(mv);
      scorer.dispose();
    } catch {
      partial++;
    }
  }
  const known = new Set(versions.map((v) => v.version));
  const aliases = await registry.aliases(MODEL);
  const badAliases = Object.values(aliases).filter((v) => !known.has(v)).length;
  return { versions: versions.length, partial, badAliases };
}

function logLines(ws: string): string[] {
  const dir = path.join(ws, '.prodml/logs', MODEL);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.startsWith('predictions-')).sort().flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
}


async function loadWhileSwapping(ws: string, v1: number, v2: number): Promise<void> {
  process.stderr.write(`\nload: ${SECONDS} s of autocannon (10 connections) while production flips every 2 s\n`);
  const registry = await openRegistry(ws);
  await registry.promote(MODEL, v1, 'production', 'bench start');
  const before = new Set(logLines(ws).map((l) => (JSON.parse(l) as { request_id: string }).request_id));
  const server = await startServer(ws);
  const all = streamBodies(ws, 200);
  let flips = 0;
  let flipErrors = 0;
  const flipper = setInterval(() => {
    const op = flips++ % 2 === 0 ? registry.promote(MODEL, v2, 'production', 'bench flip') : registry.rollback(MODEL, { reason: 'bench flop' });
    op.catch(() => flipErrors++);
  }, 2000);
  const answered: string[] = [];
  let n = 0;
  const result = await autocannon({
    url: `${server.url}/v1/models/${MODEL}:predict`,
    connections: 10,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
          const id = `rel-${++n}`;
          context['id'] = id;
          return { ...req, headers: { 'content-type': 'application/json', 'x-request-id': id }, body: all[n % all.length] };
        },
        onResponse: (status: number, _body: string, context: Record<string, unknown>) => {
          if (status === 200) answered.push(context['id'] as string);
        },
      },
    ],
  });
  clearInterval(flipper);
  const metrics = (await (await fetch(`${server.url}/metrics`)).json()) as { swaps: Record<string, number> };
  await stop(server.child);
  const logged = new Map<string, number>();
  for (const l of logLines(ws)) {
    const id = (JSON.parse(l) as { request_id: string }).request_id;
    if (before.has(id)) continue;
    const rid = id.replace(/-\d+$/, '');
    logged.set(rid, (logged.get(rid) ?? 0) + 1);
  }
  const lost = answered.filter((id) => !logged.has(id)).length;
  const doubled = [...logged.values()].filter((c) => c > 1).length;
  const seen = new Set(answered);
  const unanswered = [...logged.keys()].filter((id) => !seen.has(id)).length;
  const failed = result.non2xx + result.errors + result.timeouts;
  say('load: requests answered 200', `${result['2xx']} (${(result['2xx'] / SECONDS).toFixed(0)}/s over ${SECONDS} s)`);
  say('load: failed requests (non-2xx, errors, timeouts)', `${failed} (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
  say('load: promotions/rollbacks sent, swaps seen by the server', `${flips} sent (${flipErrors} failed), ${metrics.swaps[MODEL] ?? 0} swaps`);
  say('load: 200 answers missing from the log (lost)', String(lost));
  say('load: requests logged twice (doubled)', String(doubled));
  say('load: logged but not seen by the client (in flight when it stopped)', String(unanswered));
}

async function killTrainAndAliases(ws: string): Promise<void> {
  process.stderr.write(`\nkill -9: ${KILLS} of train, ${KILLS} of promote/rollback, at random moments\n`);
  const full = await cli(ws, ['train', MODEL]);
  const promote = await cli(ws, ['models', 'promote', `${MODEL}:1`, '--reason', 'bench']);
  if (full.code === null || full.code > 1 || promote.code !== 0) throw new Error(`train or promote failed before any kill: ${full.stderr}${promote.stderr}`);
  process.stderr.write(`  an unkilled train takes ${(full.ms / 1000).toFixed(1)} s, a promote ${(promote.ms / 1000).toFixed(1)} s\n`);
  const tally = { killed: 0, finished: 0, partial: 0, badAliases: 0, nextFailed: 0, messages: [] as string[] };
  const check = async (next: string[]) => {
    const h = await registryHealth(ws);
    tally.partial += h.partial;
    tally.badAliases += h.badAliases;
    const r = await cli(ws, next);
    if (r.code !== 0) {
      tally.nextFailed++;
      tally.messages.push(r.stderr.trim().split('\n')[0] ?? '');
    }
  };
  for (let i = 0; i < KILLS; i++) {
    const r = await cli(ws, ['train', MODEL], Math.random() * full.ms);
    if (r.signal === 'SIGKILL') tally.killed++;
    else tally.finished++;
    // The next command takes the model lock the killed one may have held.
    await check(['models', 'promote', `${MODEL}:1`, '--reason', 'after kill']);
  }
  say('kill -9 train: killed / finished before the kill', `${tally.killed} / ${tally.finished}`);
  const t = { ...tally };
  Object.assign(tally, { killed: 0, finished: 0 });
  for (let i = 0; i < KILLS; i++) {
    const args = i % 2 === 0 ? ['models', 'promote', `${MODEL}:2`, '--reason', 'bench'] : ['models', 'rollback', MODEL, '--reason', 'bench'];
    const r = await cli(ws, args, Math.random() * promote.ms);
    if (r.signal === 'SIGKILL') tally.killed++;
    else tally.finished++;
    await check(i % 2 === 0 ? ['models', 'rollback', MODEL, '--to', '1', '--reason', 'after kill'] : ['models', 'promote', `${MODEL}:2`, '--reason', 'after kill']);
  }
  say('kill -9 promote/rollback: killed / finished before the kill', `${tally.killed} / ${tally.finished}`);
  say('kill -9: partial versions visible (all checks)', String(tally.partial));
  say('kill -9: aliases pointing at no version', String(tally.badAliases));
  say('kill -9: next command failed', `${tally.nextFailed}${tally.messages.length ? ` (${[...new Set(tally.messages)].join(' | ')})` : ''}`);
  void t;
}

async function killServer(ws: string): Promise<void> {
  process.stderr.write(`\nkill -9 of the server mid-load, ${SERVER_KILLS} times, then prodml monitor\n`);
  // Long keys make long log writes, so that a kill is likely to tear one.
  const all = streamBodies(ws, 200).map((b) => b.replace(/"birth_id":"([^"]*)"/, (_m, id: string) => `"birth_id":"${id}-${'k'.repeat(4000)}"`));
  let monitorOk = 0;
  let torn = 0;
  let skipped = 0;
  let records = 0;
  let lastMessage = '';
  for (let k = 0; k < SERVER_KILLS; k++) {
    const server = await startServer(ws);
    let n = 0;
    const loading = autocannon({ url: `${server.url}/v1/models/${MODEL}:predict`, connections: 10, duration: 3, requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req: Record<string, unknown>) => ({ ...req, body: all[n++ % all.length] }) }] });
    await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1500));
    await stop(server.child, 'SIGKILL');
    await loading;
    const dir = path.join(ws, '.prodml/logs', MODEL);
    torn += fs.readdirSync(dir).filter((f) => f.startsWith('predictions-')).filter((f) => {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      return text.length > 0 && !text.endsWith('\n');
    }).length;
    const m = await cli(ws, ['monitor', MODEL, '--json']);
    if (m.code === 0 || m.code === 1) {
      monitorOk++;
      const doc = JSON.parse(m.stdout) as { log?: { skipped_lines?: number; records?: number } };
      skipped = doc.log?.skipped_lines ?? skipped;
      records = doc.log?.records ?? records;
    } else lastMessage = m.stderr.trim().split('\n')[0] ?? '';
  }
  say('kill -9 server: files left with a torn last line', String(torn));
  say('kill -9 server: monitor read the log (exit 0 or 1)', `${monitorOk} of ${SERVER_KILLS}${lastMessage ? ` (${lastMessage})` : ''}`);
  say('kill -9 server: monitor records / skipped lines', `${records} / ${skipped}`);
}

/** POSTs a body, optionally streamed in chunks without a content-length; the status, or the error. */
function send(url: string, body: string | (() => Iterable<string>)): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    let status: string | undefined;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...(typeof body === 'string' ? { 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      status = String(res.statusCode);
      res.resume();
      res.on('end', () => resolve(status!));
    });
    // A server that answered 413 may cut the connection while the rest of the body is still being written.
    req.on('error', (e) => setTimeout(() => resolve(status ?? `${(e as NodeJS.ErrnoException).code ?? 'error'} (closed by the server)`), 100));
    if (typeof body === 'string') req.end(body);
    else {
      const it = body()[Symbol.iterator]();
      // A turn of the event loop every 1,000 pieces, so that an early answer is read while sending.
      const pump = () => {
        for (let n = 0; ; n++) {
          if (n === 1000) return void setImmediate(pump);
          const next = it.next();
          if (next.done) return void req.end();
          if (!req.write(next.value)) return void req.once('drain', pump);
        }
      };
      req.on('close', () => it.return?.());
      pump();
    }
  });
}

function memory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function hostile(ws: string): Promise<void> {
  process.stderr.write('\nhostile bodies, each sent 10 times\n');
  const server = await startServer(ws);
  const url = `${server.url}/v1/models/${MODEL}:predict`;
  const [one] = streamBodies(ws, 200);
  const row = JSON.parse(one!).instances[0] as Record<string, unknown>;
  for (let i = 0; i < 50; i++) await send(url, one!);
  const base = memory(server.child.pid!);
  const rowText = JSON.stringify(row);
  const cases: [string, string | (() => Iterable<string>)][] = [
    ['deep nesting ([ x 400,000)', `{"instances": [${'['.repeat(400_000)}${']'.repeat(400_000)}]}`],
    ['deep nesting ({"a": x 100,000)', `{"instances": [{"mother_age": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]}`],
    ['__proto__ key in an instance', `{"instances": [${rowText.slice(0, -1)}, "__proto__": {"polluted": 1}}]}`],
    ['__proto__ as the body', `{"__proto__": {"instances": [${rowText}]}}`],
    ['__proto__ in columnar inputs', `{"inputs": {"__proto__": [1]}}`],
    ['a million instances (content-length)', `{"instances": [${Array.from({ length: 1_000_000 }, () => '1').join(',')}]}`],
    ['a million instances (chunked, no length)', function* () {
      yield '{"instances": [';
      for (let i = 0; i < 1_000_000; i++) yield `${i ? ',' : ''}${rowText}`;
      yield ']}';
    }],
  ];
  for (const [name, body] of cases) {
    const statuses = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const s = await send(url, body);
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    say(`hostile: ${name}`, `${[...statuses].map(([s, c]) => `${s} x${c}`).join(', ')}; server peak RSS ${memory(server.child.pid!).peak.toFixed(0)} MB`);
  }
  const after = await send(url, one!);
  const m = memory(server.child.pid!);
  say('hostile: a normal request afterwards', after);
  say('hostile: server memory, baseline → after (peak)', `RSS ${base.rss.toFixed(0)} MB → ${m.rss.toFixed(0)} MB (peak ${base.peak.toFixed(0)} → ${m.peak.toFixed(0)} MB)`);
  const polluted = ({} as Record<string, unknown>)['polluted'];
  if (polluted !== undefined) say('hostile: prototype polluted', 'YES');
  await stop(server.child);
}

async function concurrent(ws: string): Promise<void> {
  process.stderr.write('\ntwo at once\n');
  const before = (await (await openRegistry(ws)).listVersions(MODEL)).length;
  const trains = await Promise.all([cli(ws, ['train', MODEL]), cli(ws, ['train', MODEL])]);
  const h = await registryHealth(ws);
  const describe = (r: Done) => (r.code === 0 || r.code === 1 ? `exit ${r.code}` : `exit ${r.code}: ${r.stderr.trim().split('\n')[0]}`);
  say('two trains at once', `${trains.map(describe).join('; ')}; versions ${before} → ${h.versions}, partial ${h.partial}, bad aliases ${h.badAliases}`);
  const runs = await Promise.all([cli(ws, ['run']), cli(ws, ['run'])]);
  const h2 = await registryHealth(ws);
  say('two pipeline runs at once', `${runs.map(describe).join('; ')}; versions ${h.versions} → ${h2.versions}, partial ${h2.partial}, bad aliases ${h2.badAliases}`);
}

async function main() {
  const ws = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-bench-reliability-')), 'demo');
  process.stderr.write(`demo workspace in ${ws}: generating and training two versions...\n`);
  await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
  const yaml = path.join(ws, 'prodml.yaml');
  fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace(/training: \{[^}]*\}[^\n]*/, 'training: {epochs: 3, batch_size: 256, learning_rate: 0.01, seed: 42}'));
  const v1 = (await trainFromConfig(ws, MODEL, {})).version;
  const v2 = (await trainFromConfig(ws, MODEL, {})).version;
  const t0 = performance.now();
  if (phase('load')) await loadWhileSwapping(ws, v1, v2);
  if (phase('server')) await killServer(ws);
  if (phase('hostile')) await hostile(ws);
  if (phase('kills')) await killTrainAndAliases(ws);
  if (phase('concurrent')) await concurrent(ws);
  console.log(`\nprodml serve reliability (${os.cpus().length} CPUs, node ${process.version}, --seconds ${SECONDS} --kills ${KILLS} --server-kills ${SERVER_KILLS}, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const width = Math.max(...figures.map(([n]) => n.length));
  for (const [n, v] of figures) console.log(`${n.padEnd(width)}  ${v}`);
  fs.rmSync(path.dirname(ws), { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
