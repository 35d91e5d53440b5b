#!/usr/bin/env node
// `npm run editor`: ProdML in a real VS Code in the browser, for anyone without VS Code installed.
// Installs code-server with the same script (and cache) as the end-to-end tests, builds the demo
// workspace and the VSIX when they are missing, installs the extension into a user-data and
// extensions folder of its own (never the user's VS Code profile), starts code-server on
// 127.0.0.1 with the workspace open, prints the URL and stays in the foreground until Ctrl+C.
//
//   npm run editor [-- --port N] [--workspace dir] [--theme dark|light]
//
// Environment: PRODML_EDITOR_HOME (default ~/.cache/prodml/editor) holds the user data, the
// extensions and code-server.log; PRODML_CACHE and PRODML_CODE_SERVER as for the tests.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.PRODML_CACHE ?? path.join(os.homedir(), '.cache', 'prodml');
const codeServer = process.env.PRODML_CODE_SERVER ?? path.join(cache, 'code-server', 'node_modules', '.bin', 'code-server');
const home = path.resolve(process.env.PRODML_EDITOR_HOME ?? path.join(cache, 'editor'));

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      workspace: { type: 'string' },
      theme: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  fail(`${e.message}. Usage: npm run editor [-- --port N] [--workspace dir] [--theme dark|light]`);
}
if (args.help) {
  console.log('Usage: npm run editor [-- --port N] [--workspace dir] [--theme dark|light]');
  process.exit(0);
}
const port = args.port === undefined ? undefined : Number(args.port);
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) fail(`--port ${args.port}: a port is an integer from 1 to 65535`);
const themes = { dark: 'Default Dark Modern', light: 'Default Light Modern' };
if (args.theme !== undefined && !(args.theme in themes)) fail(`--theme ${args.theme}: use dark or light`);
const demoDefault = args.workspace === undefined;
const workspace = path.resolve(args.workspace ?? path.join(repo, 'demo-workspace'));
const vsix = path.join(repo, 'prodml.vsix');

function fail(message) {
  console.error(`npm run editor: ${message}`);
  process.exit(2);
}

function step(message) {
  console.log(`[editor] ${message}`);
}

/** Run a command to completion with its output shown; stop on failure. */
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: repo, ...opts });
  if (r.status !== 0) fail(`\`${cmd} ${argv.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}

// 1. code-server, installed and cached by the tests' own setup script.
run('bash', [path.join(repo, 'scripts/install-test-vscode.sh'), '--code-server-only']);
if (!fs.existsSync(codeServer)) fail(`code-server is not at ${codeServer} after scripts/install-test-vscode.sh`);

// 2. The workspace: the demo, built (trained, served, monitored, retrained) when it is missing.
const isDemo = fs.existsSync(path.join(workspace, '.prodml-demo'));
const prepared = fs.existsSync(path.join(workspace, '.prodml', 'registry'));
if (demoDefault || isDemo || !fs.existsSync(workspace)) {
  if (!(isDemo && prepared)) {
    step(`building the demo workspace in ${workspace} (about half a minute)`);
    run('node', ['esbuild.mjs']);
    run('node', [path.join(repo, 'dist/cli.js'), 'demo', workspace], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
} else if (!fs.statSync(workspace).isDirectory()) {
  fail(`--workspace ${workspace} is not a folder`);
}

// 3. The VSIX, packaged when it is missing.
if (!fs.existsSync(vsix)) {
  step('packaging the extension (prodml.vsix)');
  run('npm', ['run', 'package']);
}

// 4. A user-data and extensions folder of our own, with the extension installed.
const userData = path.join(home, 'user-data');
const extensions = path.join(home, 'extensions');
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.mkdirSync(extensions, { recursive: true });
const settingsFile = path.join(userData, 'User', 'settings.json');
const settings = fs.existsSync(settingsFile) ? JSON.parse(fs.readFileSync(settingsFile, 'utf8')) : {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
};
if (args.theme) settings['workbench.colorTheme'] = themes[args.theme];
fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
// code-server reads and writes ~/.config/code-server unless given a config file.
const configFile = path.join(home, 'config.yaml');
fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
const env = { ...process.env, XDG_CONFIG_HOME: path.join(home, 'xdg-config'), XDG_DATA_HOME: path.join(home, 'xdg-data') };
delete env.NODE_OPTIONS;
step('installing prodml.vsix into code-server');
run(codeServer, ['--config', configFile, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix, '--force'], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});

// 5. code-server on 127.0.0.1, in the foreground.
const chosen = port ?? (await freePort());
const log = path.join(home, 'code-server.log');
const logFd = fs.openSync(log, 'w');
const server = spawn(
  codeServer,
  [
    '--config', configFile,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${chosen}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', userData,
    '--extensions-dir', extensions,
    workspace,
  ],
  { env, stdio: ['ignore', logFd, logFd] },
);
fs.closeSync(logFd);
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    stopping = true;
    server.kill('SIGTERM');
  });
}
server.on('exit', (code, signal) => {
  if (!stopping) console.error(`npm run editor: code-server stopped (${code ?? signal}); see ${log}`);
  else step('stopped');
  process.exit(stopping ? 0 : 1);
});

const base = `http://127.0.0.1:${chosen}`;
const deadline = Date.now() + 60_000;
while ((await status(`${base}/healthz`)) !== 200) {
  if (Date.now() > deadline) {
    server.kill('SIGTERM');
    fail(`code-server did not answer on ${base} within 60 s; see ${log}`);
  }
  await new Promise((r) => setTimeout(r, 200));
}
const url = `${base}/?folder=${encodeURI(workspace)}`;
console.log(`
ProdML is running in VS Code (code-server) with ${path.relative(process.cwd(), workspace) || '.'} open:

    ${url}

Open that URL in your browser; the ProdML icon in the activity bar holds the Models and Runs views.
Only this machine can reach it (127.0.0.1). Stop it with Ctrl+C. Log: ${log}
`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
}

function status(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
