// Builds every bundle into dist/: the extension host, the engine worker and the CLI (Node, CJS)
// and the webviews (browser, IIFE). DuckDB's native package stays external and is copied beside
// the bundles so the VSIX ships it.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // better-sqlite3 is native (copied like DuckDB); pg-native is pg's optional native binding, never used.
  external: ['vscode', '@duckdb/node-api', 'better-sqlite3', 'pg-native'],
  define: { __PRODML_VERSION__: JSON.stringify(pkg.version) },
  // vega-canvas's Node build probes for the native `canvas` package with a top-level await,
  // which CommonJS cannot hold; we render SVG only, so its browser build (no canvas) serves.
  alias: { 'vega-canvas': './node_modules/vega-canvas/build/vega-canvas.browser.js' },
};

/** `import('./commands')` in src/cli/main.ts stays a require of the second bundle, dist/cli-commands.js. */
const cliCommandsExternal = {
  name: 'cli-commands-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/commands$/ }, () => ({ path: './cli-commands.js', external: true }));
  },
};

const builds = [
  { ...nodeCommon, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { engine: 'src/worker/engine.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { server: 'src/server/server.ts' }, outdir: 'dist' },
  // The CLI is two bundles: a light entry (commander and the command table: --version and --help
  // load nothing else) and the commands, required only when one runs.
  { ...nodeCommon, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' }, plugins: [cliCommandsExternal] },
  { ...nodeCommon, entryPoints: { 'cli-commands': 'src/cli/commands.ts' }, outdir: 'dist' },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    entryPoints: { profile: 'webview/profile/main.ts', train: 'webview/train/main.ts', report: 'webview/report/main.ts' },
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
  },
];

/** Copies a package and, recursively, its dependencies into dist/node_modules. */
function copyPackage(name, seen = new Set()) {
  if (seen.has(name)) return;
  seen.add(name);
  const from = path.join('node_modules', name);
  if (!fs.existsSync(from)) return; // an optional dependency for another platform
  const to = path.join('dist/node_modules', name);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true, dereference: true });
  const meta = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) copyPackage(dep, seen);
}

// A clean dist/, so nothing stale (old bundles, source maps of a dev build) reaches the VSIX.
if (!watch) fs.rmSync('dist', { recursive: true, force: true });
fs.mkdirSync('dist/webview', { recursive: true });
copyPackage('@duckdb/node-api');
// onnxruntime-node scores imported ONNX models (loaded with require at run time, never bundled):
// the package and onnxruntime-common, with only this platform's native binary (each is 25-86 MB).
copyPackage('onnxruntime-common');
fs.cpSync('node_modules/onnxruntime-node', 'dist/node_modules/onnxruntime-node', { recursive: true, dereference: true });
for (const os of fs.readdirSync('dist/node_modules/onnxruntime-node/bin/napi-v6')) {
  for (const arch of fs.readdirSync(path.join('dist/node_modules/onnxruntime-node/bin/napi-v6', os))) {
    if (os !== process.platform || arch !== process.arch) fs.rmSync(path.join('dist/node_modules/onnxruntime-node/bin/napi-v6', os, arch), { recursive: true, force: true });
  }
}
// better-sqlite3 at run time is its lib/, its compiled addon and `bindings`; its sources and
// install-time dependencies (prebuild-install, ~30 MB) stay out of the VSIX.
for (const part of ['package.json', 'lib', 'build/Release/better_sqlite3.node']) {
  fs.cpSync(path.join('node_modules/better-sqlite3', part), path.join('dist/node_modules/better-sqlite3', part), { recursive: true, dereference: true });
}
copyPackage('bindings');
fs.copyFileSync('webview/profile/profile.css', 'dist/webview/profile.css');
fs.copyFileSync('webview/train/train.css', 'dist/webview/train.css');
fs.copyFileSync('webview/report/report.css', 'dist/webview/report.css');
// tfjs's WebAssembly backend loads its .wasm files from beside the script that bundles it.
for (const f of fs.readdirSync('node_modules/@tensorflow/tfjs-backend-wasm/dist')) {
  if (f.endsWith('.wasm')) fs.copyFileSync(path.join('node_modules/@tensorflow/tfjs-backend-wasm/dist', f), path.join('dist', f));
}
// JSON Schemas of the user's files, for yamlValidation (the YAML extension) and for reference.
fs.cpSync('schemas', 'dist/schemas', { recursive: true });

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  fs.chmodSync('dist/cli.js', 0o755);
}
