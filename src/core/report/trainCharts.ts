import type { TopLevelSpec } from 'vega-lite';
import { DATASET_COLORS } from './profileCharts';

/** Training and evaluation loss per epoch, as a Vega-Lite line chart. */
export function lossChart(epochs: readonly { epoch: number; loss: number; evalLoss: number }[], width: number | 'container' = 'container'): TopLevelSpec {
  const values = epochs.flatMap((e) => [
    { epoch: e.epoch, split: 'training', loss: e.loss },
    { epoch: e.epoch, split: 'evaluation', loss: e.evalLoss },
  ]);
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
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss (log scale)' },
      color: { field: 'split', type: 'nominal', scale: { domain: ['training', 'evaluation'], range: [...DATASET_COLORS] }, title: null },
      tooltip: [
        { field: 'epoch', type: 'quantitative' },
        { field: 'split', type: 'nominal' },
        { field: 'loss', type: 'quantitative', format: '.4f' },
      ],
    },
  } as TopLevelSpec;
}
