/**
 * Asynchronous successive halving (ASHA, Li et al. 2018), in the form Ray Tune's ASHAScheduler
 * uses for trials that run one after another: rungs sit at min_epochs · eta^k epochs; a trial
 * reaching a rung is compared with every trial that reached it before, and goes on only if it
 * is in their top 1/eta; otherwise it stops there. No trial waits for others, so a study can
 * stop, resume or grow at any trial, and the same trials in the same order make the same calls.
 */
import type { MetricDirection } from '../evaluate/types';
import type { TrialRecord } from './types';

export function rungEpochs(minEpochs: number, reductionFactor: number, maxEpochs: number): number[] {
  const rungs: number[] = [];
  for (let r = minEpochs; r < maxEpochs; r = Math.max(r + 1, Math.round(r * reductionFactor))) rungs.push(r);
  return rungs;
}

/** Lower is better after this: `higher` metrics are negated, `zero` ones (a bias) taken by magnitude. */
export function lossOf(direction: MetricDirection, value: number): number {
  return direction === 'higher' ? -value : direction === 'zero' ? Math.abs(value) : value;
}

/** numpy.quantile's default (linear interpolation between order statistics). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export class Rungs {
  private readonly recorded = new Map<number, number[]>();

  constructor(
    readonly epochs: readonly number[],
    private readonly direction: MetricDirection,
    private readonly reductionFactor: number,
  ) {
    for (const e of epochs) this.recorded.set(e, []);
  }

  isRung(epoch: number): boolean {
    return this.recorded.has(epoch);
  }

  /**
   * A trial's value at a rung: 'stop' when it falls outside the top 1/eta of the values recorded
   * there before it. Its value is recorded either way (it did reach the rung). The first trial at
   * a rung has nothing to be compared with and goes on. A value that is not finite stops the trial
   * and is not recorded: it would turn the cut-off into infinity.
   */
  judge(epoch: number, value: number | null): 'continue' | 'stop' {
    const seen = this.recorded.get(epoch);
    if (!seen) return 'continue';
    if (value === null || !Number.isFinite(value)) return 'stop';
    const loss = lossOf(this.direction, value);
    const cutoff = seen.length > 0 ? quantile([...seen].sort((a, b) => a - b), 1 / this.reductionFactor) : Infinity;
    seen.push(loss);
    return loss <= cutoff ? 'continue' : 'stop';
  }

  /** Replays a finished trial (a resumed study): records its value at every rung it reached. */
  replay(trial: TrialRecord): void {
    for (const epoch of this.epochs) {
      const value = rungValue(trial.epochs, epoch);
      if (value !== null && Number.isFinite(value)) this.recorded.get(epoch)!.push(lossOf(this.direction, value));
    }
  }

  /** The values at each rung, for reports. */
  counts(): { epoch: number; trials: number }[] {
    return this.epochs.map((epoch) => ({ epoch, trials: this.recorded.get(epoch)!.length }));
  }
}

/**
 * What a trial would deliver if stopped after `epoch`: the metric of its weights with the lowest
 * validation loss so far (the trainer keeps those). null when it never reached that epoch.
 */
export function rungValue(epochs: readonly { epoch: number; eval_loss: number; metric: number | null }[], epoch: number): number | null {
  let best: { eval_loss: number; metric: number | null } | undefined;
  for (const e of epochs) {
    if (e.epoch > epoch) break;
    // Strictly lower, as the trainer decides: a NaN loss is never the best, ties keep the earlier epoch.
    if (e.eval_loss < (best?.eval_loss ?? Infinity)) best = e;
  }
  return epochs.some((e) => e.epoch === epoch) ? (best?.metric ?? null) : null;
}
