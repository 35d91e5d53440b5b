import { trainHostToWebviewSchema, type TrainHostToWebview, type TrainWebviewToHost } from '../../src/protocol/trainMessages';
import { button, chart, el, onThemeChange, poster } from '../shared/ui';

const send = poster<TrainWebviewToHost>();
const app = document.getElementById('app')!;

// The host sends the numbers formatted (src/core/report/format.ts); a bare number is a fallback.
const fmt = (v: number | null, text?: string) => text ?? (v === null ? '—' : String(v));

const chartEl = el('div', { class: 'chart', 'aria-label': 'Loss per epoch' });
let lastEpochs = -1;
let lastChart: unknown;

async function render(s: Extract<TrainHostToWebview, { type: 'state' }>): Promise<void> {
  const header = el(
    'header',
    {},
    el('h1', {}, `Training ${s.model}`),
    ...(s.status === 'running' ? [el('div', { class: 'actions' }, button('Cancel', () => send({ type: 'cancel' }), true))] : []),
  );
  const last = s.epochs.at(-1);
  const status = el('p', { class: `status ${s.status}`, role: s.status === 'failed' ? 'alert' : 'status' }, s.error ? `${s.phase}: ${s.error}` : s.phase);
  const parts: Node[] = [header, status];
  if (s.status === 'running' && last) parts.push(el('vscode-progress-bar', { value: String(Math.round((100 * last.epoch) / last.epochs)), max: '100' }));
  parts.push(chartEl);
  if (s.result) {
    const r = s.result;
    parts.push(
      el('h2', {}, `${s.model}:${r.version} ${r.blessed ? 'blessed' : 'not blessed'}`),
      el('p', { class: 'muted' }, `${r.rows.train.toLocaleString()} training rows, ${r.rows.eval.toLocaleString()} evaluation rows, backend ${r.backend}. Baseline: ${r.baseline}.`),
      el(
        'table',
        { class: 'metrics' },
        el('tr', {}, el('th', {}, 'metric'), el('th', {}, 'model'), el('th', {}, 'baseline')),
        ...r.comparison.map((c) => el('tr', {}, el('th', {}, c.label ?? c.metric), el('td', {}, fmt(c.model, c.modelText)), el('td', {}, fmt(c.baseline, c.baselineText)))),
      ),
      el('ul', { class: 'checks' }, ...r.checks.map((c) => el('li', { class: c.passed ? 'pass' : 'fail' }, `${c.passed ? '✓' : '✗'} ${c.description}`))),
    );
  }
  app.replaceChildren(...parts);
  if (s.epochs.length !== lastEpochs) {
    lastEpochs = s.epochs.length;
    lastChart = s.chart;
    await chart(chartEl, s.chart);
  }
}

// Chart colours come from the theme when drawn: redraw when the user switches theme.
onThemeChange(() => lastChart !== undefined && void chart(chartEl, lastChart));

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = trainHostToWebviewSchema.safeParse(event.data);
  if (!parsed.success) return console.warn('ProdML: ignored a malformed message', parsed.error.message);
  void render(parsed.data);
});
send({ type: 'ready' });
