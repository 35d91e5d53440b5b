/**
 * What every operation takes besides its workspace and request: a signal to cancel it and a
 * callback for progress. Front ends adapt these to their own (a progress bar and Ctrl-C on the
 * CLI; a notification and its Cancel button in VS Code, across the engine process).
 */
export interface OpProgress {
  /** 0..1, or 0 while the share is unknown. */
  fraction: number;
  phase: string;
  /** Training: one point of the loss curves. */
  epoch?: { epoch: number; epochs: number; loss: number; evalLoss: number };
  /** A page to redraw before the operation ends (the tuner, after each trial). */
  partial?: unknown;
}

/** `P`: an operation whose progress says more (the pipeline: which step) declares it here. */
export interface OpContext<P extends OpProgress = OpProgress> {
  signal?: AbortSignal;
  progress?: (p: P) => void;
}

export type Operation<Req, Res> = (ws: import('../project/workspace').Workspace, req: Req, ctx?: OpContext) => Promise<Res>;

/** `(fraction, phase)` callbacks of the core, fed from an OpContext. */
export function phaseReporter(ctx: OpContext | undefined): ((fraction: number, phase: string) => void) | undefined {
  const p = ctx?.progress;
  return p ? (fraction, phase) => p({ fraction, phase }) : undefined;
}
