/**
 * The layer rules of ARCHITECTURE.md, checked on the import graph of src/ and webview/:
 *  1. src/core imports no front end, no `vscode` and no LSP package;
 *  2. front ends (cli, extension, server, worker) reach the core only through core/ops and core/project;
 *  3. webview/ imports only src/protocol among our files;
 *  4. src/protocol imports no front end and only types from the core;
 *  5. no import cycles in src/;
 *  6. the extension host never loads DuckDB, tfjs, onnxruntime, vega or fastify (they run in the engine process);
 *  7. the CLI's entry loads only commander and the command table (`prodml --version` stays fast).
 * Each rule is also run against a planted violation, so a rule that can no longer fail is caught.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

const REPO = path.join(__dirname, '../..');

interface Edge {
  from: string;
  /** A repo-relative file for our own modules, else the package specifier. */
  to: string;
  typeOnly: boolean;
  dynamic: boolean;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(p)) : /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolve(fromFile: string, spec: string): string {
  if (!spec.startsWith('.')) return spec.startsWith('node:') ? spec : spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.relative(REPO, candidate).split(path.sep).join('/');
  }
  return path.relative(REPO, base).split(path.sep).join('/');
}

/** Every import, export-from, dynamic import and require in our TypeScript. */
export function importGraph(): Edge[] {
  const edges: Edge[] = [];
  const pattern = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const file of [...walk(path.join(REPO, 'src')), ...walk(path.join(REPO, 'webview'))]) {
    const text = fs.readFileSync(file, 'utf8');
    const from = path.relative(REPO, file).split(path.sep).join('/');
    for (const m of text.matchAll(pattern)) {
      const spec = m[3] ?? m[4] ?? m[5]!;
      edges.push({ from, to: resolve(file, spec), typeOnly: m[2] !== undefined, dynamic: m[4] !== undefined });
    }
  }
  return edges;
}

const FRONT_ENDS = /^src\/(cli|extension|server|worker)\//;
const HEAVY = new Set(['@duckdb/node-api', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'onnxruntime-node', 'vega', 'vega-lite', 'fastify', 'pg', 'better-sqlite3', '@clickhouse/client']);

/** What `entry` loads when it starts: its static imports, transitively (type-only and dynamic imports load nothing then). */
function loadedBy(edges: Edge[], entry: string): Set<string> {
  const out = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    for (const e of edges) {
      if (e.from !== f || e.typeOnly || e.dynamic || out.has(e.to)) continue;
      out.add(e.to);
      if (e.to.startsWith('src/')) todo.push(e.to);
    }
  }
  return out;
}

function cycles(edges: Edge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of edges) if (e.from.startsWith('src/') && e.to.startsWith('src/') && e.to.endsWith('.ts')) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

export function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const where = `${e.from} imports ${e.to}`;
    if (e.from.startsWith('src/core/')) {
      if (e.to === 'vscode' || e.to.startsWith('vscode-language') || /^src\/(cli|extension|server|worker|protocol)\//.test(e.to) || e.to.startsWith('webview/')) out.push(`rule 1: ${where}`);
    }
    if (FRONT_ENDS.test(e.from) && e.to.startsWith('src/core/') && !/^src\/core\/(ops|project)\//.test(e.to)) out.push(`rule 2: ${where}`);
    if (e.from.startsWith('webview/') && (e.to.startsWith('src/') && !e.to.startsWith('src/protocol/'))) out.push(`rule 3: ${where}`);
    if (e.from.startsWith('src/protocol/')) {
      if (FRONT_ENDS.test(e.to) || e.to === 'vscode') out.push(`rule 4: ${where}`);
      if (e.to.startsWith('src/core/') && !e.typeOnly) out.push(`rule 4 (types only): ${where}`);
    }
  }
  for (const c of cycles(edges)) out.push(`rule 5: import cycle ${c.join(' → ')}`);
  for (const heavy of loadedBy(edges, 'src/extension/extension.ts')) if (HEAVY.has(heavy)) out.push(`rule 6: the extension host loads ${heavy}`);
  for (const f of loadedBy(edges, 'src/cli/main.ts')) if (f !== 'commander' && !f.startsWith('node:') && !['src/cli/commandTable.ts', 'src/core/project/version.ts'].includes(f)) out.push(`rule 7: prodml's entry loads ${f} at start`);
  return out;
}

describe('architecture', () => {
  const edges = importGraph();

  test('the import graph is read (sanity: it sees the known edges)', () => {
    assert.ok(edges.length > 500, `${edges.length} imports`);
    assert.ok(edges.some((e) => e.from === 'src/worker/engine.ts' && e.to === 'src/core/ops/index.ts'));
    assert.ok(edges.some((e) => e.from === 'src/cli/main.ts' && e.to === 'src/cli/commands.ts' && e.dynamic));
  });

  test('every layer rule holds', () => {
    assert.deepEqual(violations(edges), []);
  });

  test('each rule fails when it is broken', () => {
    const planted: [Edge, RegExp][] = [
      [{ from: 'src/core/train/run.ts', to: 'vscode', typeOnly: false, dynamic: false }, /^rule 1: /],
      [{ from: 'src/core/train/run.ts', to: 'src/extension/extension.ts', typeOnly: true, dynamic: false }, /^rule 1: /],
      [{ from: 'src/cli/trainCommand.ts', to: 'src/core/train/run.ts', typeOnly: false, dynamic: false }, /^rule 2: /],
      [{ from: 'webview/report/main.ts', to: 'src/core/report/format.ts', typeOnly: false, dynamic: false }, /^rule 3: /],
      [{ from: 'src/protocol/engineMessages.ts', to: 'src/core/ops/index.ts', typeOnly: false, dynamic: false }, /^rule 4 /],
      [{ from: 'src/core/project/paths.ts', to: 'src/core/project/workspace.ts', typeOnly: false, dynamic: false }, /^rule 5: /],
      [{ from: 'src/extension/extension.ts', to: '@duckdb/node-api', typeOnly: false, dynamic: false }, /^rule 6: /],
      [{ from: 'src/cli/main.ts', to: 'src/cli/commands.ts', typeOnly: false, dynamic: false }, /^rule 7: /],
    ];
    for (const [edge, rule] of planted) {
      const found = violations([...edges, edge]);
      assert.ok(found.some((v) => rule.test(v)), `planting ${edge.from} → ${edge.to} breaks ${rule}: ${found.join('; ') || 'nothing reported'}`);
    }
  });
});
