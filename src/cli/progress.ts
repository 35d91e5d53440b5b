import { SingleBar } from 'cli-progress';

/** A progress bar on stderr when it is a terminal; silent otherwise (CI logs, --json pipes). */
export function progressBar(enabled = process.stderr.isTTY === true): {
  update: (fraction: number, phase: string) => void;
  stop: () => void;
} {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: ' {bar} {percentage}% | {phase}',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(100, 0, { phase: 'Starting' });
  return {
    update: (f, phase) => bar.update(Math.round(f * 100), { phase }),
    stop: () => bar.stop(),
  };
}
