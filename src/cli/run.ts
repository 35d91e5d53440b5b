import { isProdmlError } from '../core/errors';

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
