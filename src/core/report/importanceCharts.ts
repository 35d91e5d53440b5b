/**
 * Vega-Lite spec for feature value against cost: per feature, the permutation importance (mean
 * drop of the key metric, error bars its 95% bootstrap interval, leave-one-out drops as diamonds
 * with their own interval when retrained, the threshold a feature must clear as a dashed line)
 * beside its missing rate and annotated cost. Features not worth their cost are red, undecided
 * ones grey, so the verdict and its uncertainty read together. Rendered by webviews and, for reports, to SVG in Node (renderSvg).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ImportanceReport } from '../checks/types';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const VERDICT_COLORS = { 'worth its cost': '#4c78a8', "can't tell with this much data": '#9d9d9d', 'not worth its cost': '#e45756' } as const;

export function importanceChart(r: ImportanceReport, width = 360): TopLevelSpec {
  const order = r.features.map((f) => f.feature);
  const values = r.features.map((f) => ({
    feature: f.feature,
    mean: f.importance,
    low: f.ci_low,
    high: f.ci_high,
    loo: f.leave_one_out?.drop ?? null,
    looLow: f.leave_one_out?.ci_low ?? null,
    looHigh: f.leave_one_out?.ci_high ?? null,
    verdict: f.verdict,
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
          x: { field: 'mean', type: 'quantitative', title: `${r.metric} drop (mean of ${r.repeats} shuffles, 95% interval)` },
          color: { field: 'verdict', type: 'nominal', scale: { domain: Object.keys(VERDICT_COLORS), range: Object.values(VERDICT_COLORS) }, title: null, legend: { orient: 'top' } },
          tooltip: [
            { field: 'feature', type: 'nominal' },
            { field: 'mean', type: 'quantitative', format: '.4f', title: 'mean drop' },
            { field: 'low', type: 'quantitative', format: '.4f', title: '95% low' },
            { field: 'high', type: 'quantitative', format: '.4f', title: '95% high' },
            { field: 'loo', type: 'quantitative', format: '.4f', title: 'leave-one-out drop' },
            { field: 'verdict', type: 'nominal' },
          ],
        },
      },
      { mark: { type: 'errorbar', ticks: true, thickness: 1.5 }, encoding: { y, x: { field: 'low', type: 'quantitative', title: `${r.metric} drop (mean of ${r.repeats} shuffles, 95% interval)` }, x2: { field: 'high' } } },
      ...(r.leave_one_out
        ? [
            { mark: { type: 'rule', color: '#f58518', yOffset: 6 }, encoding: { y, x: { field: 'looLow', type: 'quantitative' }, x2: { field: 'looHigh' } } },
            { mark: { type: 'point', shape: 'diamond', filled: true, color: '#f58518', size: 60, yOffset: 6 }, encoding: { y, x: { field: 'loo', type: 'quantitative' } } },
          ]
        : []),
      { mark: { type: 'rule', color: '#666' }, encoding: { x: { datum: 0 } } },
      { mark: { type: 'rule', color: '#e45756', strokeDash: [4, 3] }, encoding: { x: { datum: r.threshold } } },
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
