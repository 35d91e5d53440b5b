/**
 * Early stopping as every trainer does it: the weights of the epoch with the lowest eval loss are
 * kept; training stops once `patience` epochs pass without a better one, or when the caller's
 * onEpoch says 'stop'.
 */
export class BestEpoch<T> {
  loss = Infinity;
  epoch = 0;
  weights: T | undefined;
  stoppedEarly = false;

  constructor(private readonly patience?: number) {}

  /** Records an epoch (`snapshot` copies its weights when they are the best so far); true when training stops here. */
  after(epoch: number, evalLoss: number, snapshot: () => T, verdict: void | 'stop'): boolean {
    if (evalLoss < this.loss) {
      this.loss = evalLoss;
      this.epoch = epoch;
      this.weights = snapshot();
    } else if (this.patience !== undefined && epoch - this.epoch >= this.patience) {
      this.stoppedEarly = true;
      return true;
    }
    if (verdict === 'stop') this.stoppedEarly = true;
    return this.stoppedEarly;
  }
}
