import * as vscode from 'vscode';
import { isProdmlError } from '../core/ops/errors';
import { EngineError } from './engineClient';

/**
 * An engine failure as a person should see it: bad input as its one-line message, a cancel as
 * such, anything else as a short message with the details in the log.
 */
export function showEngineError(log: vscode.LogOutputChannel, what: string, e: unknown, show?: (message: string) => void): void {
  if (e instanceof EngineError && e.kind === 'cancelled') {
    show?.(`${what} was cancelled.`);
    return;
  }
  if (e instanceof EngineError && e.kind === 'bad_input') {
    show?.(e.message);
    void vscode.window.showErrorMessage(`ProdML: ${e.message}`);
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  log.error(`${what} failed: ${message}`);
  const first = message.split('\n')[0] ?? message;
  show?.(first);
  void vscode.window.showErrorMessage(`ProdML: ${what} failed: ${first}`, 'Show Log').then((a) => a && log.show());
}

/** Runs a command body; a ProdML error (e.g. nothing to roll back to) becomes its one-line message. */
export async function guarded(log: vscode.LogOutputChannel, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (isProdmlError(e)) void vscode.window.showErrorMessage(`ProdML: ${e.message}`);
    else showEngineError(log, 'The command', e);
  }
}
