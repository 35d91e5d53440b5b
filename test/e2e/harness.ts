/**
 * End-to-end harness: drives the real VS Code (code-server 4.100.3, VS Code 1.100) in Debian's
 * Chromium through playwright-core, for `node --import tsx --test` tests.
 *
 *   test('profile', { timeout: 180_000 }, async (t) => {
 *     const vscode = await launchVSCode({ vsix, workspace, artifactsDir, test: t }); // t.after(close)
 *     await vscode.runCommand('ProdML: Profile Dataset');
 *     const frame = await vscode.waitForWebviewText('rows');
 *     await vscode.screenshot('profile');
 *   });
 *
 * Every wait has a timeout; when one expires the error names what was awaited, saves a
 * screenshot into artifactsDir and lists what was on screen (quick input, notifications, tabs)
 * plus the tail of code-server's log. `close()` always kills Chromium and code-server's whole
 * process group and copies the logs into artifactsDir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

// ---------------------------------------------------------------------------------------------
// Configuration

const CACHE_DIR = process.env.PRODML_CACHE ?? path.join(os.homedir(), '.cache', 'prodml');

/** code-server binary: $PRODML_CODE_SERVER, else the copy scripts/install-test-vscode.sh caches. */
export const CODE_SERVER_BIN =
  process.env.PRODML_CODE_SERVER ?? path.join(CACHE_DIR, 'code-server', 'node_modules', '.bin', 'code-server');

/** Chromium binary: $PRODML_CHROMIUM, else Debian's. */
export const CHROMIUM_BIN = process.env.PRODML_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** User settings written before launch; `opts.settings` is merged over these. */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'files.simpleDialog.enable': true,
  'window.restoreWindows': 'none',
  'editor.minimap.enabled': false,
  'chat.commandCenter.enabled': false,
  'workbench.layoutControl.enabled': false,
  'terminal.integrated.enablePersistentSessions': false,
};

/** Default timeouts (ms). All overridable per call; scale them all with $PRODML_E2E_TIMEOUT_SCALE. */
const SCALE = Number(process.env.PRODML_E2E_TIMEOUT_SCALE ?? '1') || 1;
const T = {
  install: 120_000 * SCALE,
  serverStart: 60_000 * SCALE,
  workbench: 90_000 * SCALE,
  quickInput: 15_000 * SCALE,
  item: 20_000 * SCALE,
  webview: 30_000 * SCALE,
  notification: 20_000 * SCALE,
  close: 10_000,
};

// ---------------------------------------------------------------------------------------------
// Public types

export interface LaunchOptions {
  /** Path to the .vsix to install (or several). */
  vsix: string | string[];
  /** Folder opened as the workspace (absolute or relative to cwd). */
  workspace: string;
  /** Where screenshots and logs go; created if missing. */
  artifactsDir: string;
  /** User settings, merged over DEFAULT_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Color theme (sets `workbench.colorTheme`): light is VS Code's "Default Light Modern", dark its "Default Dark Modern". */
  theme?: 'light' | 'dark';
  /** Browser viewport; default 1440x900. */
  viewport?: { width: number; height: number };
  /** Keep the temp user-data/extensions dirs after close() (also: PRODML_E2E_KEEP=1). */
  keepTemp?: boolean;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
  /** Override the workbench-ready timeout (ms). */
  startTimeoutMs?: number;
  /**
   * A node:test context (the `t` of `test(name, async (t) => …)`): close() is registered with
   * `t.after`, so the session is torn down even when the test fails or times out.
   */
  test?: { after(fn: () => Promise<void>): void };
  /**
   * Safety net: the session closes itself after this long (default 10 min, or
   * $PRODML_E2E_MAX_SESSION_MS), so a test that forgets close() cannot hang the run forever.
   */
  maxLifetimeMs?: number;
}

export interface QuickPickItem {
  /** The main label (`.label-name`), e.g. "ProdML: Profile Dataset" or "apple". */
  label: string;
  /** The row's aria-label: label plus description/detail, as a screen reader reads it. */
  ariaLabel: string;
  focused: boolean;
}

export interface QuickInput {
  /** The quick input widget (the palette / showQuickPick / showInputBox / simple file dialog). */
  readonly widget: Locator;
  /** Wait until the quick input is visible. */
  waitVisible(timeoutMs?: number): Promise<void>;
  /** Wait until it is gone (the command consumed the answer). */
  waitHidden(timeoutMs?: number): Promise<void>;
  isVisible(): Promise<boolean>;
  /** Current text of its input box. */
  value(): Promise<string>;
  /** Placeholder / title / message shown, for assertions and error messages. */
  describe(): Promise<string>;
  /** Replace the input box text (fires the input event, so the list filters). */
  fill(text: string): Promise<void>;
  /** Type text key by key at the end of the current value. */
  type(text: string): Promise<void>;
  /** Visible rows of the list (only rendered rows; the list is virtualised). */
  items(): Promise<QuickPickItem[]>;
  /**
   * Wait for a row whose label matches and click it. A string matches the label exactly, or
   * else as a case-insensitive substring of the label; a RegExp is tested against label and
   * aria-label.
   */
  pick(label: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Press Enter (accepts the focused row, the input box value, or the typed path). */
  accept(): Promise<void>;
  /** Press Escape. */
  cancel(): Promise<void>;
  /**
   * Answer a showOpenDialog / showSaveDialog. code-server uses the simple quick-input file
   * dialog: the path is typed into the box and Enter accepts it. Waits until it closes.
   */
  choosePath(absPath: string, timeoutMs?: number): Promise<void>;
  /** Answer a showInputBox: fill and Enter, then wait until it closes. */
  answer(text: string, timeoutMs?: number): Promise<void>;
}

export interface Notification {
  message: string;
  /** info | warning | error, from the toast's icon. */
  severity: 'info' | 'warning' | 'error' | 'unknown';
  /** Labels of its buttons. */
  actions: string[];
}

export interface VSCodeSession {
  readonly page: Page;
  readonly browser: Browser;
  readonly port: number;
  readonly url: string;
  readonly workspace: string;
  readonly artifactsDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly quickInput: QuickInput;
  /** Milliseconds spent in launchVSCode, per phase. */
  readonly timings: Readonly<Record<string, number>>;

  /** Run a command from the palette by its title as shown there ("Category: Title"). */
  runCommand(title: string, opts?: { timeoutMs?: number }): Promise<void>;
  /** Quick open (Ctrl+P) a workspace file by relative path; waits until its tab is active. */
  openFile(relPath: string, opts?: { timeoutMs?: number }): Promise<void>;
  /** Poll page.frames() (webviews are nested iframes) until one satisfies the predicate. */
  findWebviewFrame(predicate: (frame: Frame) => Promise<boolean>, timeoutMs?: number): Promise<Frame>;
  /**
   * The frames holding webview content (the extension's HTML), optionally only those of one
   * extension. VS Code nests them: main page > iframe `pre/index.html?id=…&extensionId=…`
   * (VS Code's host shim) > iframe `pre/fake.html?id=…` whose document is the extension's HTML.
   */
  webviewFrames(opts?: { extensionId?: string }): Frame[];
  /** The webview frame whose body text contains `text` (string or RegExp). */
  waitForWebviewText(text: string | RegExp, timeoutMs?: number): Promise<Frame>;
  /** The webview frame holding an element matching the CSS selector. */
  waitForWebviewSelector(selector: string, timeoutMs?: number): Promise<Frame>;
  /** Texts of the visible notification toasts. */
  notifications(): Promise<string[]>;
  /** Visible notification toasts with severity and buttons. */
  notificationDetails(): Promise<Notification[]>;
  /** Wait for a toast whose text contains `text` (string or RegExp); returns its text. */
  waitForNotification(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Dismiss all toasts (Notifications: Clear All). */
  clearNotifications(): Promise<void>;
  /** Titles of the open editor tabs, and the active one. */
  editorTabs(): Promise<{ titles: string[]; active: string | undefined }>;
  /** Wait until the active tab's title contains `title`. */
  waitForActiveTab(title: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Save a PNG of the page into artifactsDir; returns its path. */
  screenshot(name: string): Promise<string>;
  /** Everything the browser console printed (includes extension host console.log, forwarded). */
  consoleLines(): string[];
  /** Wait until a browser console line (e.g. an extension's console.log) matches. */
  waitForConsole(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Wait for a line in the extension host's own log (remoteexthost.log), e.g.
   * `ExtensionService#_doActivateExtension prodml.prodml` once the extension activated.
   */
  waitForExtensionHostLog(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Text of all the VS Code log files under the user-data dir whose path matches (default: exthost). */
  readLogs(match?: RegExp): string;
  /** Throw an error describing the screen (screenshot + state); for custom waits. */
  fail(what: string): Promise<never>;
  /** Kill Chromium and code-server, copy logs into artifactsDir. Safe to call twice. */
  close(opts?: { screenshot?: boolean }): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Small utilities

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Settle with `p`, or with undefined after `ms`; the timer never keeps the process alive. */
async function within<R>(p: Promise<R>, ms: number): Promise<R | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function matches(text: string, want: string | RegExp): boolean {
  return typeof want === 'string' ? text.includes(want) : want.test(text);
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 100) || 'shot';
}

function tail(file: string, maxChars = 4000): string {
  try {
    const s = fs.readFileSync(file, 'utf8');
    return s.length > maxChars ? '…' + s.slice(-maxChars) : s;
  } catch {
    return '(no log)';
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Environment for code-server: the parent's, minus what would leak VS Code / tsx state in. */
function childEnv(extra: Record<string, string> | undefined, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'NODE_OPTIONS' || k === 'ELECTRON_RUN_AS_NODE') continue;
    if (k === 'NODE_TEST_CONTEXT' || k === 'NODE_CHANNEL_FD') continue;
    env[k] = v;
  }
  // code-server writes ~/.config/code-server and ~/.local/share/code-server; keep them private.
  env.XDG_CONFIG_HOME = path.join(home, 'config');
  env.XDG_DATA_HOME = path.join(home, 'data-home');
  env.XDG_CACHE_HOME = env.XDG_CACHE_HOME ?? path.join(home, 'cache');
  return { ...env, ...extra };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  // The group leader gone means the group may be too; a recycled pid must not be signalled.
  if (exited(child) && signal !== 'SIGKILL') return;
  try {
    process.kill(-child.pid, signal); // detached: the child leads its own process group
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Run code-server once to completion (e.g. --install-extension); reject with its output on failure. */
function runCodeServerCli(args: string[], env: NodeJS.ProcessEnv, logFile: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(CODE_SERVER_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`code-server ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${CODE_SERVER_BIN}: ${e.message} (run scripts/install-test-vscode.sh)`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fs.appendFileSync(logFile, `$ code-server ${args.join(' ')}\n${out}${err}\n[exit ${code ?? signal}]\n\n`);
      // A failed install exits 1 and prints "Failed Installing Extensions"; check both.
      const failed = code !== 0 || /Failed Installing Extensions/i.test(out + err);
      if (failed) {
        reject(new Error(`code-server ${args.join(' ')} failed (exit ${code ?? signal})\nstdout:\n${out}\nstderr:\n${err}`));
      } else {
        resolve(out + err);
      }
    });
  });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

// Every live code-server (with its temp dir), so a test process that exits or is interrupted
// without close() still kills the process group and removes the temp dir.
const live = new Map<ChildProcess, { tmp: string; keep: boolean }>();
let exitHookInstalled = false;
function killAllNow(): void {
  for (const [child, { tmp, keep }] of live) {
    killGroup(child, 'SIGKILL');
    if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
  }
  live.clear();
}
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllNow();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Workbench selectors (VS Code 1.100)

const SEL = {
  workbench: '.monaco-workbench',
  // The workbench is usable once the status bar and activity bar have rendered.
  ready: '.monaco-workbench .part.statusbar',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .quick-input-list .monaco-list-row',
  toast: '.notifications-toasts .notification-toast',
  toastMessage: '.notification-list-item-message',
  tab: '.editor-group-container .tabs-container .tab',
  activeTab: '.editor-group-container.active .tabs-container .tab.active',
};

// ---------------------------------------------------------------------------------------------
// launchVSCode

export async function launchVSCode(opts: LaunchOptions): Promise<VSCodeSession> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (phase: string, since: number) => (timings[phase] = Date.now() - since);

  if (!fs.existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server not found at ${CODE_SERVER_BIN}; run scripts/install-test-vscode.sh first`);
  }
  if (!fs.existsSync(CHROMIUM_BIN)) {
    throw new Error(`Chromium not found at ${CHROMIUM_BIN}; run scripts/install-test-vscode.sh first`);
  }
  const vsixes = (Array.isArray(opts.vsix) ? opts.vsix : [opts.vsix]).map((v) => path.resolve(v));
  for (const v of vsixes) if (!fs.existsSync(v)) throw new Error(`VSIX not found: ${v} (build it first)`);
  const workspace = path.resolve(opts.workspace);
  if (!fs.statSync(workspace, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`workspace folder not found: ${workspace}`);
  }
  const artifactsDir = path.resolve(opts.artifactsDir);
  fs.mkdirSync(artifactsDir, { recursive: true });
  clearOldArtifacts(artifactsDir);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-e2e-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const settings = { ...DEFAULT_SETTINGS, ...themeSetting(opts.theme), ...(opts.settings ?? {}) };
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  // Our own config file so code-server neither reads nor writes ~/.config/code-server.
  const configFile = path.join(tmp, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const env = childEnv(opts.env, tmp);
  const csLog = path.join(artifactsDir, 'code-server.log');
  fs.writeFileSync(csLog, '');
  const keepTemp = opts.keepTemp ?? process.env.PRODML_E2E_KEEP === '1';

  // 1. Install the extension(s).
  let t = Date.now();
  try {
    for (const vsix of vsixes) {
      await runCodeServerCli(
        ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
        env,
        csLog,
        T.install,
      );
    }
  } catch (e) {
    if (!keepTemp) fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  mark('install', t);

  // 2. Start code-server.
  t = Date.now();
  installExitHook();
  const port = await freePort();
  const logFd = fs.openSync(csLog, 'a');
  const server = spawn(
    CODE_SERVER_BIN,
    [
      '--config', configFile,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      workspace,
    ],
    { env, stdio: ['ignore', logFd, logFd], detached: true },
  );
  fs.closeSync(logFd);
  // Its stdio goes to a file, so unref() lets the test process exit; the exit hook kills it.
  server.unref();
  live.set(server, { tmp, keep: keepTemp });
  let serverError: Error | undefined;
  server.on('error', (e) => (serverError = e));

  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + T.serverStart;
    for (;;) {
      if (serverError) throw new Error(`code-server failed to start: ${serverError.message}`);
      if (exited(server)) {
        throw new Error(`code-server exited (${server.exitCode ?? server.signalCode}) before answering\n${tail(csLog)}`);
      }
      if ((await httpStatus(`${base}/healthz`)) === 200) break;
      if (Date.now() > deadline) throw new Error(`code-server did not answer ${base}/healthz within ${T.serverStart} ms\n${tail(csLog)}`);
      await sleep(200);
    }
  } catch (e) {
    killGroup(server, 'SIGTERM');
    if (!(await waitExit(server, 3000))) killGroup(server, 'SIGKILL');
    live.delete(server);
    copyLogs(userDataDir, artifactsDir);
    if (!keepTemp) fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  mark('serverStart', t);
  return openWorkbench({ server, port, workspace, artifactsDir, userDataDir, extensionsDir, tmp, csLog, keepTemp, timings, t0 }, opts);
}

export interface AttachOptions {
  /**
   * A process already serving code-server on 127.0.0.1:`port` (e.g. `npm run editor`), spawned
   * detached so it leads its own process group: close() kills that group.
   */
  server: ChildProcess;
  port: number;
  workspace: string;
  /** code-server's --user-data-dir (its logs are read from there). */
  userDataDir: string;
  extensionsDir: string;
  artifactsDir: string;
  /** A file holding the process's output, for error messages. */
  logFile: string;
  test?: LaunchOptions['test'];
  viewport?: LaunchOptions['viewport'];
  startTimeoutMs?: number;
}

/** Drive a code-server someone else started (its user-data and extensions are theirs to keep). */
export async function attachVSCode(opts: AttachOptions): Promise<VSCodeSession> {
  const artifactsDir = path.resolve(opts.artifactsDir);
  fs.mkdirSync(artifactsDir, { recursive: true });
  clearOldArtifacts(artifactsDir);
  installExitHook();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-e2e-attach-'));
  live.set(opts.server, { tmp, keep: false });
  return openWorkbench(
    {
      server: opts.server,
      port: opts.port,
      workspace: path.resolve(opts.workspace),
      artifactsDir,
      userDataDir: opts.userDataDir,
      extensionsDir: opts.extensionsDir,
      tmp,
      csLog: opts.logFile,
      keepTemp: false,
      timings: {},
      t0: Date.now(),
    },
    { test: opts.test, viewport: opts.viewport, startTimeoutMs: opts.startTimeoutMs },
  );
}

function themeSetting(theme: LaunchOptions['theme']): Record<string, unknown> {
  if (!theme) return {};
  return { 'workbench.colorTheme': theme === 'dark' ? 'Default Dark Modern' : 'Default Light Modern' };
}

/** Chromium on the workbench of a running code-server, until the extension host is up. */
async function openWorkbench(
  init: Omit<SessionInit, 'page' | 'browser' | 'url'> & { t0: number },
  opts: Pick<LaunchOptions, 'test' | 'viewport' | 'startTimeoutMs' | 'maxLifetimeMs'>,
): Promise<VSCodeSession> {
  const { server, port, workspace, artifactsDir, userDataDir, tmp, keepTemp, timings } = init;
  const mark = (phase: string, since: number) => (timings[phase] = Date.now() - since);
  let t = Date.now();
  let browser: Browser | undefined;
  let session: Session | undefined;
  const cleanupOnLaunchFailure = async () => {
    if (session) return session.close({ screenshot: false });
    await browser?.close().catch(() => undefined);
    killGroup(server, 'SIGTERM');
    if (!(await waitExit(server, 3000))) killGroup(server, 'SIGKILL');
    live.delete(server);
    copyLogs(userDataDir, artifactsDir);
    if (!keepTemp) fs.rmSync(tmp, { recursive: true, force: true });
  };

  try {
    const base = `http://127.0.0.1:${port}`;
    // 3. Chromium.
    t = Date.now();
    browser = await chromium.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    const context = await browser.newContext({
      viewport: opts.viewport ?? { width: 1440, height: 900 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    mark('browserLaunch', t);

    // 4. Workbench.
    t = Date.now();
    const url = `${base}/?folder=${encodeURIComponent(workspace).replace(/%2F/g, '/')}`;
    const { t0: _t0, ...sessionInit } = init;
    session = new Session({ ...sessionInit, page, browser, url });
    const s = session;
    opts.test?.after(() => s.close());
    const maxLifetime = opts.maxLifetimeMs ?? (Number(process.env.PRODML_E2E_MAX_SESSION_MS) || 600_000);
    setTimeout(() => {
      if (s.isClosed) return;
      console.error(`[e2e harness] session still open after ${maxLifetime} ms; closing it (did a test forget close()?)`);
      void s.close();
    }, maxLifetime).unref();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: T.serverStart });
    try {
      await page.locator(SEL.ready).first().waitFor({ state: 'visible', timeout: opts.startTimeoutMs ?? T.workbench });
    } catch {
      await session.fail(`the VS Code workbench (${SEL.ready}) to appear at ${url}`);
    }
    mark('workbench', t);
    // 5. The extension host: its log says so once installed extensions are registered and the
    // eager ones activated. Before that, the palette does not list the extension's commands.
    t = Date.now();
    await session.waitForExtensionHostLog('Eager extensions activated', opts.startTimeoutMs ?? T.workbench);
    mark('extensionHost', t);
    timings.total = Date.now() - init.t0;
    return session;
  } catch (e) {
    await cleanupOnLaunchFailure();
    throw e;
  }
}

/** Remove what an earlier session left in artifactsDir (only files this harness writes). */
function clearOldArtifacts(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (/^\d{2,}-.*\.png$/.test(name) || ['code-server.log', 'browser-console.log', 'exthost.log', 'vscode-logs'].includes(name)) {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/** Copy VS Code's logs (extension host, remote agent, output channels) into artifactsDir. */
function copyLogs(userDataDir: string, artifactsDir: string): void {
  const logsDir = path.join(userDataDir, 'logs');
  const dest = path.join(artifactsDir, 'vscode-logs');
  try {
    if (fs.existsSync(logsDir)) fs.cpSync(logsDir, dest, { recursive: true });
  } catch {
    /* best effort */
  }
  // Also a flat exthost.log for the common case: every extension-host log concatenated.
  const parts = listFiles(logsDir)
    .filter((f) => /exthost/i.test(f))
    .map((f) => `===== ${path.relative(logsDir, f)} =====\n${fs.readFileSync(f, 'utf8')}`);
  if (parts.length) fs.writeFileSync(path.join(artifactsDir, 'exthost.log'), parts.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Session

interface SessionInit {
  page: Page;
  browser: Browser;
  server: ChildProcess;
  port: number;
  url: string;
  workspace: string;
  artifactsDir: string;
  userDataDir: string;
  extensionsDir: string;
  tmp: string;
  csLog: string;
  keepTemp: boolean;
  timings: Record<string, number>;
}

class Session implements VSCodeSession {
  readonly page: Page;
  readonly browser: Browser;
  readonly port: number;
  readonly url: string;
  readonly workspace: string;
  readonly artifactsDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly quickInput: QuickInput;
  readonly timings: Record<string, number>;
  private readonly server: ChildProcess;
  private readonly tmp: string;
  private readonly csLog: string;
  private readonly keepTemp: boolean;
  private readonly console: string[] = [];
  private readonly consoleFile: string;
  private shots = 0;
  private closed = false;

  constructor(init: SessionInit) {
    this.page = init.page;
    this.browser = init.browser;
    this.server = init.server;
    this.port = init.port;
    this.url = init.url;
    this.workspace = init.workspace;
    this.artifactsDir = init.artifactsDir;
    this.userDataDir = init.userDataDir;
    this.extensionsDir = init.extensionsDir;
    this.tmp = init.tmp;
    this.csLog = init.csLog;
    this.keepTemp = init.keepTemp;
    this.timings = init.timings;
    this.consoleFile = path.join(this.artifactsDir, 'browser-console.log');
    fs.writeFileSync(this.consoleFile, '');
    const record = (line: string) => {
      this.console.push(line);
      try {
        fs.appendFileSync(this.consoleFile, line + '\n');
      } catch {
        /* artifacts dir removed */
      }
    };
    this.page.on('console', (m) => record(`[${m.type()}] ${m.text()}`));
    this.page.on('pageerror', (e) => record(`[pageerror] ${e.message}`));
    this.page.on('crash', () => record('[crash] page crashed'));
    // The console says only "Failed to load resource"; name the URL (webview resources, CSP…).
    this.page.on('response', (r) => {
      if (r.status() >= 400) record(`[http ${r.status()}] ${r.request().method()} ${r.url()}`);
    });
    this.page.on('requestfailed', (r) => record(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
    this.quickInput = new QuickInputDriver(this);
  }

  // ---- diagnostics

  async describeScreen(): Promise<string> {
    const lines: string[] = [];
    try {
      const qi = this.quickInput;
      if (await qi.isVisible()) {
        lines.push(`quick input: ${await qi.describe()} value=${JSON.stringify(await qi.value())}`);
        const items = await qi.items();
        lines.push(`  rows: ${items.map((i) => (i.focused ? '*' : '') + JSON.stringify(i.label)).join(', ') || '(none)'}`);
      } else {
        lines.push('quick input: hidden');
      }
      const notes = await this.notifications();
      lines.push(`notifications: ${notes.length ? notes.map((n) => JSON.stringify(n)).join(', ') : '(none)'}`);
      const tabs = await this.editorTabs();
      lines.push(`editor tabs: ${tabs.titles.map((x) => JSON.stringify(x)).join(', ') || '(none)'}; active: ${tabs.active ?? '-'}`);
      const dialog = this.page.locator('.monaco-dialog-box');
      if (await dialog.count()) lines.push(`dialog: ${JSON.stringify((await dialog.first().innerText()).slice(0, 300))}`);
      lines.push(`frames: ${this.page.frames().length}`);
    } catch (e) {
      lines.push(`(could not read the screen: ${(e as Error).message})`);
    }
    const errors = this.console.filter((l) => /^\[(error|pageerror|crash|http|requestfailed)/.test(l)).slice(-8);
    if (errors.length) lines.push(`browser console errors (last ${errors.length}):\n  ${errors.join('\n  ')}`);
    return lines.join('\n');
  }

  async fail(what: string): Promise<never> {
    if (this.closed) throw new Error(`Gave up waiting for ${what}: the session was closed`);
    let shot = '(no screenshot)';
    try {
      shot = await this.screenshot(`FAIL-${what}`);
    } catch (e) {
      shot = `(screenshot failed: ${(e as Error).message})`;
    }
    const screen = await this.describeScreen();
    const logTail = tail(this.csLog, 1500);
    throw new Error(
      `Timed out waiting for ${what}\nscreenshot: ${shot}\n${screen}\ncode-server log (tail):\n${logTail}\nartifacts: ${this.artifactsDir}`,
    );
  }

  /** Poll `check` until it returns a value (not undefined) or the time is up, then fail(). */
  async poll<R>(what: string, timeoutMs: number, check: () => Promise<R | undefined>, intervalMs = 150): Promise<R> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let r: R | undefined;
      try {
        r = await check();
      } catch {
        r = undefined; // frames detach, rows re-render: try again
      }
      if (r !== undefined) return r;
      if (Date.now() > deadline || this.closed) return this.fail(what);
      await sleep(intervalMs);
    }
  }

  // ---- commands, files

  async runCommand(title: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? T.item);
    // The palette snapshots the command list when it opens; commands contributed by an extension
    // appear only once the extension host has registered it. So: open, filter, look for the row
    // for a few seconds, and reopen if it is not there yet.
    for (let attempt = 1; ; attempt++) {
      await this.openPalette('>');
      await this.quickInput.fill('>' + title);
      const found = await this.findRow(title, Math.min(3000 * attempt, Math.max(500, deadline - Date.now())));
      if (found !== undefined) {
        await this.page.locator(SEL.quickInputRow).nth(found).click({ timeout: 5000 });
        return;
      }
      if (Date.now() > deadline) return this.fail(`the command palette to list ${JSON.stringify(title)}`);
      await this.page.keyboard.press('Escape');
      await sleep(500);
    }
  }

  /**
   * Index of the quick-pick row for `label` (exact label first, then case-insensitive substring;
   * a RegExp is tested against label and aria-label), or undefined after `timeoutMs`.
   */
  async findRow(label: string | RegExp, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const items = await this.quickInput.items().catch((): QuickPickItem[] => []);
      let i = -1;
      if (typeof label === 'string') {
        i = items.findIndex((it) => it.label === label);
        if (i < 0) i = items.findIndex((it) => it.label.toLowerCase().includes(label.toLowerCase()));
      } else {
        i = items.findIndex((it) => label.test(it.label) || label.test(it.ariaLabel));
      }
      if (i >= 0) return i;
      if (Date.now() > deadline) return undefined;
      await sleep(100);
    }
  }

  /** Open the quick input with a prefix ('>' = commands, '' = files). Retries F1 until it shows. */
  async openPalette(prefix: '>' | ''): Promise<void> {
    const qi = this.quickInput;
    if (await qi.isVisible()) {
      await this.page.keyboard.press('Escape');
      await qi.waitHidden(5000).catch(() => undefined);
    }
    const deadline = Date.now() + T.quickInput;
    for (;;) {
      // F1 is bound to the command palette with no browser conflict (Ctrl+P would print in some browsers).
      await this.page.keyboard.press('F1');
      try {
        await qi.widget.waitFor({ state: 'visible', timeout: 3000 });
        break;
      } catch {
        if (Date.now() > deadline) await this.fail('the command palette to open after F1');
        // The keyboard focus may be inside a webview iframe or a widget that eats F1: move it
        // back to the workbench window (no click: that could trigger something).
        await this.page
          .evaluate(() => {
            const el = document.activeElement;
            if (el instanceof HTMLElement) el.blur();
            window.focus();
          })
          .catch(() => undefined);
      }
    }
    if (prefix === '') await qi.fill('');
  }

  async openFile(relPath: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeout = opts.timeoutMs ?? T.item;
    const rel = relPath.split(path.sep).join('/');
    const base = path.posix.basename(rel);
    await this.openPalette('');
    await this.quickInput.fill(rel);
    // File rows: label = file name, aria-label = "name, dir/…" (description holds the folder).
    await this.poll(`quick open to list ${rel}`, timeout, async () => {
      const items = await this.quickInput.items();
      return items.find((i) => i.label === base || i.ariaLabel.includes(base)) ? true : undefined;
    });
    // Give the file search a beat to settle on the best match, then accept the top one.
    await sleep(150);
    const row = await this.quickInputRowFor(base);
    if (row) await row.click();
    else await this.quickInput.accept();
    await this.quickInput.waitHidden(timeout);
    await this.waitForActiveTab(base, timeout);
  }

  /** Row whose label equals `label`, preferring the focused one. */
  async quickInputRowFor(label: string): Promise<Locator | undefined> {
    const rows = this.page.locator(SEL.quickInputRow);
    const n = await rows.count();
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const name = (await row.locator('.label-name').first().innerText().catch(() => '')).trim();
      if (name === label) return row;
    }
    return undefined;
  }

  // ---- webviews

  async findWebviewFrame(predicate: (frame: Frame) => Promise<boolean>, timeoutMs = T.webview): Promise<Frame> {
    return this.poll('a webview frame that matches the predicate', timeoutMs, async () => {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame() || frame.isDetached()) continue;
        try {
          if (await predicate(frame)) return frame;
        } catch {
          /* detached or not yet loaded */
        }
      }
      return undefined;
    }, 250);
  }

  webviewFrames(opts: { extensionId?: string } = {}): Frame[] {
    return this.page.frames().filter((f) => {
      const parent = f.parentFrame();
      if (!parent || f.isDetached() || !/\/webview\/browser\/pre\/index\.html/.test(parent.url())) return false;
      if (!opts.extensionId) return true;
      const id = new URL(parent.url()).searchParams.get('extensionId') ?? '';
      return id.toLowerCase() === opts.extensionId.toLowerCase();
    });
  }

  async waitForWebviewText(text: string | RegExp, timeoutMs = T.webview): Promise<Frame> {
    try {
      return await this.findWebviewFrame(async (f) => {
        const body = await f.evaluate(() => document.body?.innerText ?? '');
        return matches(body, text);
      }, timeoutMs);
    } catch (e) {
      throw new Error(`webview text ${String(text)}: ${(e as Error).message}`);
    }
  }

  async waitForWebviewSelector(selector: string, timeoutMs = T.webview): Promise<Frame> {
    try {
      return await this.findWebviewFrame(async (f) => (await f.locator(selector).count()) > 0, timeoutMs);
    } catch (e) {
      throw new Error(`webview selector ${selector}: ${(e as Error).message}`);
    }
  }

  // ---- notifications

  async notificationDetails(): Promise<Notification[]> {
    const toasts = this.page.locator(SEL.toast);
    const n = await toasts.count();
    const out: Notification[] = [];
    for (let i = 0; i < n; i++) {
      const toast = toasts.nth(i);
      if (!(await toast.isVisible().catch(() => false))) continue;
      const message = (await toast.locator(SEL.toastMessage).first().innerText().catch(() => '')).trim();
      const icon = (await toast.locator('.notification-list-item-icon').first().getAttribute('class').catch(() => null)) ?? '';
      const severity: Notification['severity'] = /codicon-error/.test(icon)
        ? 'error'
        : /codicon-warning/.test(icon)
          ? 'warning'
          : /codicon-info/.test(icon)
            ? 'info'
            : 'unknown';
      const actions = (await toast.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts().catch(() => []))
        .map((s) => s.trim())
        .filter(Boolean);
      out.push({ message, severity, actions });
    }
    return out;
  }

  async notifications(): Promise<string[]> {
    return (await this.notificationDetails()).map((n) => n.message);
  }

  async waitForNotification(text: string | RegExp, timeoutMs = T.notification): Promise<string> {
    return this.poll(`a notification matching ${String(text)}`, timeoutMs, async () => {
      return (await this.notifications()).find((m) => matches(m, text));
    });
  }

  async clearNotifications(): Promise<void> {
    if ((await this.notifications()).length === 0) return;
    // A toast that arrives while the first clear runs (the end of a progress, a result) needs another.
    for (let attempt = 0; attempt < 2; attempt++) {
      await this.runCommand('Notifications: Clear All Notifications');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        if ((await this.notifications().catch(() => [1])).length === 0) return;
        await sleep(150);
      }
    }
    await this.runCommand('Notifications: Clear All Notifications');
    await this.poll('the notifications to clear', 5000, async () => ((await this.notifications()).length ? undefined : true));
  }

  // ---- editors

  async editorTabs(): Promise<{ titles: string[]; active: string | undefined }> {
    const titles = (await this.page.locator(SEL.tab).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''))).map(
      (s) => s.trim(),
    );
    const activeEl = this.page.locator(SEL.activeTab).first();
    const active = (await activeEl.count()) ? ((await activeEl.getAttribute('aria-label')) ?? (await activeEl.innerText())).trim() : undefined;
    return { titles, active };
  }

  async waitForActiveTab(title: string | RegExp, timeoutMs = T.item): Promise<void> {
    await this.poll(`the active editor tab to match ${String(title)}`, timeoutMs, async () => {
      const { active } = await this.editorTabs();
      return active !== undefined && matches(active, title) ? true : undefined;
    });
  }

  // ---- artifacts

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifactsDir, `${String(++this.shots).padStart(2, '0')}-${safeName(name)}.png`);
    await this.page.screenshot({ path: file, timeout: 15_000 });
    return file;
  }

  consoleLines(): string[] {
    return [...this.console];
  }

  async waitForConsole(text: string | RegExp, timeoutMs = T.notification): Promise<string> {
    return this.poll(`a browser console line matching ${String(text)}`, timeoutMs, async () => this.console.find((l) => matches(l, text)));
  }

  readLogs(match: RegExp = /exthost/i): string {
    const logsDir = path.join(this.userDataDir, 'logs');
    return listFiles(logsDir)
      .filter((f) => match.test(path.relative(logsDir, f)))
      .map((f) => `===== ${path.relative(logsDir, f)} =====\n${fs.readFileSync(f, 'utf8')}`)
      .join('\n');
  }

  async waitForExtensionHostLog(text: string | RegExp, timeoutMs = T.notification): Promise<string> {
    return this.poll(`the extension host log to show ${String(text)}`, timeoutMs, async () => {
      const log = this.readLogs(/remoteexthost\.log$/);
      const line = log.split('\n').find((l) => matches(l, text));
      return line;
    }, 250);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(opts: { screenshot?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (opts.screenshot ?? true) {
      await within(this.screenshot('final').catch(() => undefined), 5000);
    }
    // Chromium first (it holds websockets to the server), bounded in time.
    await within(this.browser.close().catch(() => undefined), T.close);
    killGroup(this.server, 'SIGTERM');
    if (!(await waitExit(this.server, 5000))) {
      killGroup(this.server, 'SIGKILL');
      await waitExit(this.server, 3000);
    }
    // Children that left the group (rare) die with SIGKILL to the group id as well.
    killGroup(this.server, 'SIGKILL');
    live.delete(this.server);
    copyLogs(this.userDataDir, this.artifactsDir);
    if (!this.keepTemp) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// QuickInput driver

class QuickInputDriver implements QuickInput {
  readonly widget: Locator;
  private readonly box: Locator;

  constructor(private readonly s: Session) {
    this.widget = s.page.locator(SEL.quickInput).first();
    this.box = s.page.locator(SEL.quickInputBox).first();
  }

  async waitVisible(timeoutMs = T.quickInput): Promise<void> {
    try {
      await this.widget.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      await this.s.fail('the quick input to appear');
    }
  }

  async waitHidden(timeoutMs = T.quickInput): Promise<void> {
    try {
      await this.widget.waitFor({ state: 'hidden', timeout: timeoutMs });
    } catch {
      await this.s.fail('the quick input to close');
    }
  }

  async isVisible(): Promise<boolean> {
    return this.widget.isVisible().catch(() => false);
  }

  async value(): Promise<string> {
    return this.box.inputValue().catch(() => '');
  }

  async describe(): Promise<string> {
    const parts: string[] = [];
    const title = (await this.s.page.locator('.quick-input-widget .quick-input-title').first().innerText().catch(() => '')).trim();
    if (title) parts.push(`title=${JSON.stringify(title)}`);
    const ph = (await this.box.getAttribute('placeholder').catch(() => null)) ?? '';
    if (ph) parts.push(`placeholder=${JSON.stringify(ph)}`);
    const msg = (await this.s.page.locator('.quick-input-widget .quick-input-message').first().innerText().catch(() => '')).trim();
    if (msg) parts.push(`message=${JSON.stringify(msg)}`);
    return parts.join(' ') || '(no title)';
  }

  async fill(text: string): Promise<void> {
    await this.waitVisible();
    await this.box.fill(text);
  }

  async type(text: string): Promise<void> {
    await this.waitVisible();
    await this.box.focus();
    await this.s.page.keyboard.press('End');
    await this.s.page.keyboard.type(text, { delay: 10 });
  }

  async items(): Promise<QuickPickItem[]> {
    if (!(await this.isVisible())) return [];
    return this.s.page.locator(SEL.quickInputRow).evaluateAll((rows) =>
      rows.map((r) => ({
        label: (r.querySelector('.label-name')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
        ariaLabel: r.getAttribute('aria-label') ?? '',
        focused: r.classList.contains('focused'),
      })),
    );
  }

  async pick(label: string | RegExp, timeoutMs = T.item): Promise<void> {
    const index = await this.s.findRow(label, timeoutMs);
    if (index === undefined) return this.s.fail(`a quick pick row ${String(label)}`);
    await this.s.page.locator(SEL.quickInputRow).nth(index).click({ timeout: 5000 });
  }

  async accept(): Promise<void> {
    await this.box.focus().catch(() => undefined);
    await this.s.page.keyboard.press('Enter');
  }

  async cancel(): Promise<void> {
    await this.s.page.keyboard.press('Escape');
  }

  async choosePath(absPath: string, timeoutMs = T.item): Promise<void> {
    await this.waitVisible(timeoutMs);
    // The simple file dialog pre-fills the current folder and completes as you type; replace the
    // whole value, let its validation catch up, then accept.
    await this.box.fill(absPath);
    await this.s.poll(`the file dialog to take ${absPath}`, timeoutMs, async () => ((await this.value()) === absPath ? true : undefined));
    await sleep(300);
    await this.accept();
    try {
      await this.widget.waitFor({ state: 'hidden', timeout: timeoutMs });
    } catch {
      await this.s.fail(`the file dialog to accept ${absPath}`);
    }
  }

  async answer(text: string, timeoutMs = T.item): Promise<void> {
    await this.fill(text);
    await this.accept();
    await this.waitHidden(timeoutMs);
  }
}
