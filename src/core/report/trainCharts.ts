import type { TopLevelSpec } from 'vega-lite';
import { DATASET_COLORS } from './profileCharts';
import { spansDecades } from './format';

/** Training and evaluation loss per epoch, as a Vega-Lite line chart. */
export function lossChart(epochs: readonly { epoch: number; loss: number; evalLoss: number }[], width: number | 'container' = 'container'): TopLevelSpec {
  const values = epochs.flatMap((e) => [
    { epoch: e.epoch, split: 'training', loss: e.loss },
    { epoch: e.epoch, split: 'evaluation', loss: e.evalLoss },
  ]);
  const log = spansDecades(values.map((v) => v.loss));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    height: 220,
    background: 'transparent',
    description: 'Loss per epoch',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, title: 'epoch' },
      // Linear unless the losses span a decade or more: a log axis over 1.2 → 0.9 only distorts.
      y: { field: 'loss', type: 'quantitative', scale: log ? { type: 'log' } : { zero: false }, title: log ? 'loss (log scale)' : 'loss' },
      color: { field: 'split', type: 'nominal', scale: { domain: ['training', 'evaluation'], range: [...DATASET_COLORS] }, title: null },
      tooltip: [
        { field: 'epoch', type: 'quantitative' },
        { field: 'split', type: 'nominal' },
        { field: 'loss', type: 'quantitative', format: '.4f' },
      ],
    },
  } as TopLevelSpec;
}
