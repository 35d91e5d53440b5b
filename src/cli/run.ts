import type { Command } from 'commander';
import { isProdmlError } from '../core/ops/errors';
import { openWorkspace, type Workspace } from '../core/project/workspace';
import type { OpContext, OpProgress } from '../core/ops';
import { progressBar } from './progress';

/** Exit codes of DESIGN.md: 0 ok, 1 the checked thing failed, 2 bad usage or bad input. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, internal: 3 } as const;

/** Runs a command action: a ProdmlError is a one-line message and exit 2, anything else a bug. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = (await fn(...args)) ?? EXIT.ok;
    } catch (e) {
      if (isProdmlError(e)) {
        process.stderr.write(`prodml: ${e.message}\n`);
        process.exitCode = e.kind === 'cancelled' ? EXIT.failed : EXIT.badInput;
      } else {
        process.stderr.write(`prodml: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exitCode = EXIT.internal;
      }
    }
  };
}

/** `--workspace <dir>` on a command; without it the workspace is found upward from the current folder, like git. */
export function workspaceOption(c: Command): Command {
  return c.option('--workspace <dir>', 'the workspace folder (default: the nearest folder upward holding prodml.yaml or .prodml/)');
}

/**
 * The workspace a command runs in. `require`: the command needs one (its registry, logs or
 * prodml.yaml), so finding none is bad input saying where it looked.
 */
export function workspaceOf(opts: { workspace?: string }, require = true): Promise<Workspace> {
  return openWorkspace({ ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}), require });
}

/**
 * Runs one operation with Ctrl-C cancelling it and, on a terminal (and not with --json), a
 * progress bar on stderr; `onProgress` sees every report too.
 */
export async function withCancel<T, P extends OpProgress = OpProgress>(
  opts: { json?: boolean; bar?: boolean; onProgress?: (p: P) => void },
  run: (ctx: OpContext<P> & { signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const bar = progressBar((opts.bar ?? true) && !opts.json && process.stderr.isTTY === true);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await run({
      signal: abort.signal,
      progress: (p) => {
        bar.update(p.fraction, p.phase);
        opts.onProgress?.(p);
      },
    });
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
  }
}

/** One JSON document on stdout, or the text. */
export function print(json: boolean | undefined, doc: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(doc, null, 2) + '\n' : text());
}
