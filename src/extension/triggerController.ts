import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as vscode from 'vscode';
import type { RunRecord } from '../core/ops/types';
import type { EngineClient } from './engineClient';
import { announceRun } from './runPipelineCommand';

export interface PipelineInfo {
  model: string;
  landing: string | null;
  watch: boolean;
  everyHours: number | null;
}

/**
 * Dynamic training in the editor: when prodml.yaml's pipeline declares triggers (a landing folder
 * to watch, a schedule), `prodml run --watch --json` runs them as a child process, off the
 * extension host; each triggered run's outcome becomes a notification and a row in the Runs view.
 * Static training (no triggers) starts nothing. Untrusted workspaces start nothing.
 */
export class TriggerController implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 48);

  constructor(
    private readonly distDir: string,
    private readonly engine: EngineClient,
    private readonly log: vscode.LogOutputChannel,
    private readonly onRun: (r: RunRecord) => void,
  ) {
    this.status.command = 'prodml.stopTriggers';
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the configured triggers; `explicit` when the user asked (then say why nothing starts). */
  async start(root: string, explicit = false): Promise<void> {
    if (this.child) return;
    if (!vscode.workspace.isTrusted) {
      if (explicit) void vscode.window.showErrorMessage('ProdML: pipeline triggers train models on your data; trust this workspace first.');
      return;
    }
    let info: PipelineInfo;
    try {
      info = (await this.engine.request('pipelineInfo', { root })) as PipelineInfo;
    } catch (e) {
      if (explicit) void vscode.window.showErrorMessage(`ProdML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      return;
    }
    if (!explicit && !info.watch && info.everyHours === null) return;
    const child = fork(path.join(this.distDir, 'cli.js'), ['run', '--watch', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    void vscode.commands.executeCommand('setContext', 'prodml.triggers', true);
    const what = [info.watch || info.everyHours === null ? `watching ${info.landing ?? 'the landing folder'}/` : '', info.everyHours !== null ? `every ${info.everyHours} h` : ''].filter(Boolean).join(', ');
    this.status.text = `$(eye) pipeline: ${what}`;
    this.status.tooltip = `ProdML pipeline triggers for ${info.model}: ${what}. Click to stop.`;
    this.status.show();
    this.log.info(`Pipeline triggers started: ${what}`);
    // One JSON line per finished run (prodml run --watch --json).
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.trim()) return;
      try {
        const r = JSON.parse(line) as RunRecord;
        if (typeof r.id === 'string' && typeof r.summary === 'string') {
          this.onRun(r);
          announceRun(r, r.trigger === 'schedule' ? 'scheduled' : 'new batch');
        }
      } catch {
        this.log.info(`[pipeline] ${line}`);
      }
    });
    child.stderr!.on('data', (d: Buffer) => this.log.info(`[pipeline] ${d.toString().trimEnd()}`));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.status.hide();
      void vscode.commands.executeCommand('setContext', 'prodml.triggers', false);
      if (code !== 0 && signal !== 'SIGTERM') void vscode.window.showErrorMessage(`ProdML: the pipeline triggers stopped (${signal ?? `exit code ${code}`}); see the ProdML log.`);
    });
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }

  dispose(): void {
    this.stop();
    this.status.dispose();
  }
}
