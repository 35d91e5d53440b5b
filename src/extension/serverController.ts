import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as vscode from 'vscode';
import { z } from 'zod';

const eventSchema = z.union([
  z.object({ event: z.literal('listening'), url: z.string(), models: z.array(z.object({ model: z.string(), version: z.number(), alias: z.string().optional() }).passthrough()) }).passthrough(),
  z.object({ event: z.literal('swapped'), model: z.string(), route: z.string().optional(), to: z.number().nullable().optional() }).passthrough(),
  z.object({ event: z.string() }).passthrough(),
]);

/** requests/s as /metrics reports it; field names tolerated loosely so an older server still shows. */
function requestsPerSecond(m: unknown): number | undefined {
  const o = m as Record<string, unknown> | undefined;
  const v = o?.['requests_per_s'] ?? o?.['requests_per_second'] ?? o?.['requestsPerSecond'] ?? o?.['rps'];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * "ProdML: Start/Stop Prediction Server": runs `prodml serve --json` (dist/cli.js) as a child
 * process, off the extension host, and shows port, model, version and requests/s in the status
 * bar. The server follows the registry on its own; its swap events update the status bar.
 */
export class ServerController implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private url: string | undefined;
  private served = new Map<string, number>();
  private rps = 0;
  private poll: NodeJS.Timeout | undefined;
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 49);
  private readonly changed = new vscode.EventEmitter<{ running: boolean; url?: string }>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly distDir: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status.command = 'prodml.stopServer';
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get address(): string | undefined {
    return this.url;
  }

  async start(root: string): Promise<void> {
    if (this.child) {
      void vscode.window.showInformationMessage(`ProdML: the prediction server is already running at ${this.url ?? '…'}`);
      return;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('ProdML: serving runs models from this workspace; trust it first (Workspaces: Manage Workspace Trust).');
      return;
    }
    const child = fork(path.join(this.distDir, 'cli.js'), ['serve', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      this.log.info(`[serve] ${d.toString().trimEnd()}`);
    });
    const listening = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.trim()) this.onLine(line.trim(), resolve);
      });
      child.on('exit', (code, signal) => {
        const was = this.child === child;
        if (was) this.stopped();
        reject(new Error(stderr.trim().split('\n').filter(Boolean).at(-1) ?? `the server exited (${signal ?? `code ${code}`})`));
        if (was && code !== 0 && signal !== 'SIGTERM') void vscode.window.showErrorMessage(`ProdML: the prediction server stopped: ${stderr.trim().split('\n').at(-1) ?? signal ?? code}`);
      });
    });
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Starting the prediction server' }, async () => {
      try {
        await listening;
      } catch (e) {
        void vscode.window.showErrorMessage(`ProdML: the prediction server did not start: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  }

  private onLine(line: string, resolve: () => void): void {
    let parsed: z.infer<typeof eventSchema>;
    try {
      parsed = eventSchema.parse(JSON.parse(line));
    } catch {
      this.log.info(`[serve] ${line}`);
      return;
    }
    this.log.info(`[serve] ${line}`);
    if (parsed.event === 'listening' && 'url' in parsed) {
      const e = parsed as { url: string; models: { model: string; version: number }[] };
      this.url = e.url;
      this.served = new Map(e.models.map((m) => [m.model, m.version]));
      void vscode.commands.executeCommand('setContext', 'prodml.serving', true);
      this.poll = setInterval(() => void this.pollMetrics(), 2000);
      this.render();
      this.changed.fire({ running: true, url: e.url });
      void vscode.window.showInformationMessage(`ProdML: serving ${this.describe()} at ${e.url}`);
      resolve();
    } else if (parsed.event === 'swapped') {
      const e = parsed as { model: string; route?: string; to?: number | null };
      // Canary and shadow swaps do not change what production answers with.
      if (e.route !== undefined && e.route !== 'primary') return;
      if (typeof e.to === 'number') this.served.set(e.model, e.to);
      else this.served.delete(e.model);
      this.render();
    }
  }

  private async pollMetrics(): Promise<void> {
    if (!this.url) return;
    try {
      const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(1500) });
      this.rps = requestsPerSecond(await res.json()) ?? this.rps;
      this.render();
    } catch {
      /* the next poll tries again; exit is handled by the process listener */
    }
  }

  private describe(): string {
    return [...this.served].map(([m, v]) => `${m}:${v}`).join(', ') || 'no model';
  }

  private render(): void {
    const port = this.url ? new URL(this.url).port : '';
    this.status.text = `$(broadcast) :${port} ${this.describe()} · ${this.rps.toFixed(this.rps < 10 ? 1 : 0)} req/s`;
    this.status.tooltip = `ProdML prediction server at ${this.url}\nServing ${this.describe()}\nClick to stop.`;
    this.status.show();
  }

  private stopped(): void {
    this.child = undefined;
    this.url = undefined;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    this.status.hide();
    void vscode.commands.executeCommand('setContext', 'prodml.serving', false);
    this.changed.fire({ running: false });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  dispose(): void {
    this.child?.kill('SIGTERM');
    this.stopped();
    this.status.dispose();
    this.changed.dispose();
  }
}
