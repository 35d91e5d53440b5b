/** The serving advisor's page: the recommendation and why, the key statistics, the charts. */
import type { ServingAdvice } from '../advise';
import { adviceCharts } from './adviceCharts';
import type { ReportSection } from './reportSection';
import { specJson } from './vegaSpec';

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
const mb = (b: number) => (b < 1e6 ? `${(b / 1e3).toFixed(0)} kB` : `${(b / 1e6).toFixed(1)} MB`);

export function advicePage(a: ServingAdvice): { note: string; sections: ReportSection[] } {
  const d = a.distribution;
  const charts = adviceCharts(a);
  const head =
    a.recommendation === 'dynamic'
      ? 'Serve dynamically: compute every prediction on request.'
      : a.recommendation === 'static'
        ? `Serve statically: precompute all ${a.table.keys.toLocaleString('en-US')} keys (${mb(a.table.memoryBytes)}).`
        : `Serve hybrid: precompute the ${a.table.keys.toLocaleString('en-US')} most requested keys (${pct(a.table.coverage)} of requests, ${mb(a.table.memoryBytes)}), compute the rest on request.`;
  const sections: ReportSection[] = [
    { title: head, note: a.reasoning, alerts: a.caveats.map((c) => ({ severity: 'warning' as const, text: c })) },
    {
      title: 'Key statistics',
      table: {
        columns: ['statistic', 'value'],
        rows: [
          ['requests', d.requests],
          ['distinct keys', d.keys],
          ['keys requested once', d.singletons],
          ['repeat share (best possible hit rate)', pct(d.repeatShare)],
          ['entropy (bits)', d.entropyBits],
          ['normalised entropy', d.normalizedEntropy],
          ['equivalent equally popular keys', Math.round(d.effectiveKeys)],
          ...d.topK.map((t): [string, string] => [`top ${t.k.toLocaleString('en-US')} keys cover`, pct(t.coverage)]),
          ...d.keysForCoverage.map((c): [string, number] => [`keys for ${pct(c.coverage)} of requests`, c.k]),
          ...(d.zipf ? [['Zipf exponent (r²)', `${d.zipf.exponent.toFixed(2)} (${d.zipf.r2.toFixed(2)})`] as [string, string]] : []),
        ],
      },
    },
    {
      title: 'Peakedness',
      charts: [
        { title: 'Share of requests covered by the top k keys', spec: specJson(charts.coverage) },
        { title: 'Requests per key by rank (log-log)', spec: specJson(charts.rankFrequency) },
      ],
    },
  ];
  const from = a.source.kind === 'log' ? `the prediction log (${a.source.key})` : `${a.source.path} (key ${a.source.key})`;
  return { note: `${a.model}: ${d.requests.toLocaleString('en-US')} requests from ${from}. Recommendation: ${a.recommendation}.`, sections };
}
