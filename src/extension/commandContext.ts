/**
 * What every command gets: the engine, the log, where the extension lives, and the three things
 * each command otherwise wrote for itself: the workspace folder, the trust check before running a
 * model on the user's data, and picking a prodml.yaml model.
 */
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';

export interface CommandContext {
  readonly engine: EngineClient;
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  /** The workspace folder's path, or an error message (`needs`: what the command needs it for) and undefined. */
  requireRoot(needs: string): string | undefined;
  /** True in a trusted workspace; else an error saying why `what` needs trust, and false. */
  requireTrusted(what: string): boolean;
  /** The prodml.yaml model: the only one, or the user's pick; undefined (with a message when there are none) otherwise. */
  pickModel(root: string, title: string, none?: string): Promise<string | undefined>;
  /** A cancellable progress notification; `report` moves the bar to `fraction` (0..1) with a phase. */
  withProgress<T>(title: string, run: (report: (fraction: number, phase: string) => void, token: vscode.CancellationToken) => Promise<T>): Thenable<T>;
}

export function commandContext(engine: EngineClient, extensionUri: vscode.Uri, log: vscode.LogOutputChannel): CommandContext {
  return {
    engine,
    extensionUri,
    log,
    requireRoot(needs) {
      const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (!root) void vscode.window.showErrorMessage(`ProdML: open a workspace folder ${needs}.`);
      return root;
    },
    requireTrusted(what) {
      if (vscode.workspace.isTrusted) return true;
      void vscode.window.showErrorMessage(`ProdML: ${what}; trust this workspace first.`);
      return false;
    },
    async pickModel(root, title, none) {
      const models = (await engine.request('models', { root })).models;
      if (models.length === 0) {
        if (none) void vscode.window.showErrorMessage(`ProdML: ${none}`);
        return undefined;
      }
      return models.length === 1 ? models[0] : vscode.window.showQuickPick(models, { title });
    },
    withProgress(title, run) {
      return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
        let reported = 0;
        return run((fraction, phase) => {
          progress.report({ message: phase, increment: Math.max(0, fraction * 100 - reported) });
          reported = Math.max(reported, fraction * 100);
        }, token);
      });
    },
  };
}
