/**
 * Vega-Lite spec for feature value against cost: per feature, the permutation importance (mean
 * drop of the key metric, error bars ±1 sd over the shuffles, leave-one-out drops as diamonds
 * when retrained) beside its missing rate and annotated cost. Features not worth their cost are
 * red, so they stand out. Rendered by webviews and, for reports, to SVG in Node (renderSvg).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ImportanceReport } from '../checks/types';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const VERDICT_COLORS = { 'worth it': '#4c78a8', 'within noise': '#9d9d9d', 'not worth its cost': '#e45756' } as const;

export function importanceChart(r: ImportanceReport, width = 360): TopLevelSpec {
  const order = r.features.map((f) => f.feature);
  const values = r.features.map((f) => ({
    feature: f.feature,
    mean: f.permutation.mean,
    low: f.permutation.mean - f.permutation.sd,
    high: f.permutation.mean + f.permutation.sd,
    sd: f.permutation.sd,
    loo: f.leave_one_out?.drop ?? null,
    verdict: f.not_worth_it ? 'not worth its cost' : f.within_noise ? 'within noise' : 'worth it',
    missing: f.cost.missing_rate,
    cost: f.cost.cost ?? null,
    source: f.cost.source ?? f.cost.dataset,
  }));
  const y = { field: 'feature', type: 'nominal', sort: order, title: null } as const;
  const value = {
    width,
    height: { step: 22 },
    title: { text: `Drop in ${r.metric} when shuffled (${r.direction === 'lower' ? 'higher' : 'lower'} ${r.metric} after = positive)`, fontSize: 11 },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y,
          x: { field: 'mean', type: 'quantitative', title: `${r.metric} drop (mean ± sd, ${r.repeats} shuffles)` },
          color: { field: 'verdict', type: 'nominal', scale: { domain: Object.keys(VERDICT_COLORS), range: Object.values(VERDICT_COLORS) }, title: null, legend: { orient: 'top' } },
          tooltip: [
            { field: 'feature', type: 'nominal' },
            { field: 'mean', type: 'quantitative', format: '.4f', title: 'mean drop' },
            { field: 'sd', type: 'quantitative', format: '.4f' },
            { field: 'loo', type: 'quantitative', format: '.4f', title: 'leave-one-out drop' },
            { field: 'verdict', type: 'nominal' },
          ],
        },
      },
      { mark: { type: 'rule' }, encoding: { y, x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } } },
      ...(r.leave_one_out ? [{ mark: { type: 'point', shape: 'diamond', filled: true, color: '#f58518', size: 60 }, encoding: { y, x: { field: 'loo', type: 'quantitative' } } }] : []),
      { mark: { type: 'rule', color: '#666', strokeDash: [3, 3] }, encoding: { x: { datum: 0 } } },
    ],
  };
  const cost = {
    width: Math.round(width / 2.5),
    height: { step: 22 },
    title: { text: 'Cost: missing in training', fontSize: 11 },
    layer: [
      {
        mark: { type: 'bar', color: '#b279a2' },
        encoding: {
          y: { ...y, axis: null },
          x: { field: 'missing', type: 'quantitative', axis: { format: '%' }, title: 'missing rate' },
          tooltip: [
            { field: 'feature', type: 'nominal' },
            { field: 'missing', type: 'quantitative', format: '.2%', title: 'missing' },
            { field: 'cost', type: 'quantitative', title: 'annotated cost' },
            { field: 'source', type: 'nominal' },
          ],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
        encoding: { y: { ...y, axis: null }, x: { field: 'missing', type: 'quantitative' }, text: { field: 'costLabel', type: 'nominal' } },
      },
    ],
  };
  return {
    $schema: SCHEMA,
    background: 'transparent',
    description: `Feature value against cost for ${r.model}:${r.version} on ${r.data}`,
    data: { values },
    transform: [{ calculate: "datum.cost === null ? '' : 'cost ' + datum.cost", as: 'costLabel' }],
    hconcat: [value, cost],
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
}
