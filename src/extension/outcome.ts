import * as vscode from 'vscode';

/** How long an outcome stays in the status bar. */
const STATUS_MS = 15_000;

/**
 * A finished action's outcome, where it does not cover a chart: the status bar while `panel`
 * (the webview showing that outcome) is in view, a toast otherwise. Errors and outcomes that
 * need a button stay toasts.
 */
export function announce(text: string, panel: { readonly visible: boolean } | undefined, kind: 'info' | 'warning' = 'info'): void {
  if (panel?.visible) vscode.window.setStatusBarMessage(`${kind === 'warning' ? '$(warning)' : '$(check)'} ${text}`, STATUS_MS);
  else if (kind === 'warning') void vscode.window.showWarningMessage(text);
  else void vscode.window.showInformationMessage(text);
}

/** An outcome the workbench already shows (a tree row, a status bar item): a status bar message only. */
export function note(text: string): void {
  vscode.window.setStatusBarMessage(`$(check) ${text}`, STATUS_MS);
}
