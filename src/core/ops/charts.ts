/** Charts the editor draws itself while an operation runs (the live loss curves), as JSON specs. */
import { lossChart } from '../report/trainCharts';
import { specJson } from '../report/vegaSpec';

export function lossCurves(epochs: readonly { epoch: number; loss: number; evalLoss: number }[]): Record<string, unknown> {
  return specJson(lossChart(epochs));
}
