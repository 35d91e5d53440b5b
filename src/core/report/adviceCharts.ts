/**
 * Vega-Lite specs of the serving advice, pure functions of a ServingAdvice: the coverage curve
 * (share of requests answered by the top k keys, log k) with the recommended table marked, and
 * the rank-frequency plot (log-log, where a Zipf law is a straight line).
 */
import type { TopLevelSpec } from 'vega-lite';
import { vegaLite } from './vegaSpec';
import type { ServingAdvice } from '../advise/types';
import { DATASET_COLORS } from './profileCharts';

type Width = number | 'container';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const MARK_COLOR = '#e45756';
const TARGET_COLOR = '#9467bd';

export interface AdviceCharts {
  coverage: TopLevelSpec;
  rankFrequency: TopLevelSpec;
}

export function adviceCharts(a: ServingAdvice, width: Width = 'container'): AdviceCharts {
  return { coverage: coverageChart(a, width), rankFrequency: rankFrequencyChart(a, width) };
}

/**
 * Share of requests vs the number of top keys precomputed (log x). A dashed line at the target
 * coverage; for static and hybrid advice, a rule and a point at the recommended table size.
 */
export function coverageChart(a: ServingAdvice, width: Width = 'container'): TopLevelSpec {
  const d = a.distribution;
  const values = d.curve.map((p) => ({ k: p.k, coverage: p.coverage }));
  const x = { field: 'k', type: 'quantitative', title: 'top keys precomputed (log scale)', scale: { type: 'log', domain: [1, Math.max(10, d.keys)] }, axis: { format: '~s' } };
  const y = { field: 'coverage', type: 'quantitative', title: 'share of requests answered', scale: { domain: [0, 1] }, axis: { format: '.0%' } };
  const marked = a.table.keys > 0 ? [{ k: a.table.keys, coverage: a.table.coverage, label: `${a.recommendation}: ${a.table.keys.toLocaleString('en-US')} keys → ${(a.table.coverage * 100).toFixed(1)}%` }] : [];
  return vegaLite({
    $schema: SCHEMA,
    width,
    height: 220,
    background: 'transparent',
    description: `Coverage of requests by the top k keys (${a.recommendation} serving recommended)`,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', color: DATASET_COLORS[0] },
        encoding: {
          x,
          y,
          tooltip: [
            { field: 'k', type: 'quantitative', title: 'top keys', format: ',' },
            { field: 'coverage', type: 'quantitative', title: 'share of requests', format: '.2%' },
          ],
        },
      },
      {
        data: { values: [{ coverage: a.thresholds.targetCoverage, label: `target ${(a.thresholds.targetCoverage * 100).toFixed(0)}%` }] },
        layer: [
          { mark: { type: 'rule', color: TARGET_COLOR, strokeDash: [6, 4] }, encoding: { y: { field: 'coverage', type: 'quantitative' } } },
          { mark: { type: 'text', color: TARGET_COLOR, align: 'left', baseline: 'bottom', dx: 2, dy: -2, fontSize: 10 }, encoding: { x: { value: 0 }, y: { field: 'coverage', type: 'quantitative' }, text: { field: 'label' } } },
        ],
      },
      ...(marked.length > 0
        ? [
            {
              data: { values: marked },
              layer: [
                { mark: { type: 'rule', color: MARK_COLOR, strokeDash: [4, 3] }, encoding: { x: { field: 'k', type: 'quantitative' } } },
                { mark: { type: 'point', filled: true, size: 70, color: MARK_COLOR }, encoding: { x: { field: 'k', type: 'quantitative' }, y: { field: 'coverage', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal', title: 'recommended table' }] } },
                { mark: { type: 'text', color: MARK_COLOR, align: 'right', baseline: 'top', dx: -4, dy: 4, fontSize: 10 }, encoding: { x: { field: 'k', type: 'quantitative' }, y: { field: 'coverage', type: 'quantitative' }, text: { field: 'label' } } },
              ],
            },
          ]
        : []),
    ],
  });
}

/** Requests per key by popularity rank, log-log, with the fitted Zipf line when there is one. */
export function rankFrequencyChart(a: ServingAdvice, width: Width = 'container'): TopLevelSpec {
  const d = a.distribution;
  const values = d.ranks.map((p) => ({ rank: p.rank, count: p.count }));
  const x = { field: 'rank', type: 'quantitative', title: 'key rank (log scale)', scale: { type: 'log' }, axis: { format: '~s' } };
  const y = { field: 'count', type: 'quantitative', title: 'requests (log scale)', scale: { type: 'log' }, axis: { format: '~s' } };
  const layers: Record<string, unknown>[] = [
    {
      data: { values },
      mark: { type: 'line', point: { filled: true, size: 18 }, color: DATASET_COLORS[0] },
      encoding: { x, y, tooltip: [{ field: 'rank', type: 'quantitative', format: ',' }, { field: 'count', type: 'quantitative', title: 'requests', format: ',' }] },
    },
  ];
  const z = d.zipf;
  if (z && z.r2 >= 0.9) {
    // The fitted line through the ranks it was fitted on: count = c1 · rank^−s, c1 from the mean.
    const fitted = d.ranks.filter((p) => p.count >= 3);
    const mx = fitted.reduce((s, p) => s + Math.log10(p.rank), 0) / fitted.length;
    const my = fitted.reduce((s, p) => s + Math.log10(p.count), 0) / fitted.length;
    const line = [1, z.maxRank].map((rank) => ({ rank, count: 10 ** (my - z.exponent * (Math.log10(rank) - mx)), label: `Zipf s = ${z.exponent.toFixed(2)}` }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', color: TARGET_COLOR, strokeDash: [6, 4] },
      encoding: { x, y, tooltip: [{ field: 'label', type: 'nominal', title: 'fit' }] },
    });
  }
  return vegaLite({
    $schema: SCHEMA,
    width,
    height: 220,
    background: 'transparent',
    description: `Requests per key by rank${z && z.r2 >= 0.9 ? ` (Zipf exponent ${z.exponent.toFixed(2)})` : ''}`,
    layer: layers,
  });
}
