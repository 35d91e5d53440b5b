import { hostToWebviewSchema, type HostToWebview, type ProfileViewMessage, type WebviewToHost } from '../../src/protocol/profileMessages';
import { button, chart, el, onThemeChange, poster } from '../shared/ui';

const send = poster<WebviewToHost>();
const app = document.getElementById('app')!;

function renderLoading(msg: Extract<HostToWebview, { type: 'loading' }>): void {
  const bar = el('vscode-progress-bar', { value: String(Math.round(msg.fraction * 100)), max: '100' });
  app.replaceChildren(
    el('header', {}, el('h1', {}, `Profiling ${msg.title}`), el('div', { class: 'actions' }, button('Cancel', () => send({ type: 'cancel' }), true))),
    el('div', { class: 'loading' }, bar, el('p', { class: 'phase' }, `${msg.phase} · ${Math.round(msg.fraction * 100)}%`)),
  );
}

function renderError(msg: Extract<HostToWebview, { type: 'error' }>): void {
  app.replaceChildren(
    el('header', {}, el('h1', {}, msg.title)),
    el('div', { class: 'error', role: 'alert' }, msg.message),
    el('div', { class: 'actions' }, button('Retry', () => send({ type: 'retry' }))),
  );
}

/** The profile on screen, redrawn when the theme changes. */
let shown: ProfileViewMessage | undefined;

async function renderProfile(view: ProfileViewMessage): Promise<void> {
  const comparing = view.datasets.length > 1;
  const legend = el(
    'div',
    { class: 'legend' },
    ...view.datasets.map((d, i) => el('span', { class: `ds ds${i}` }, el('i'), `${d.label} · ${d.rows} rows · ${d.columns} columns · ${d.elapsed}`)),
  );
  const actions = el(
    'div',
    { class: 'actions' },
    button('Compare with...', () => send({ type: 'compare' })),
    ...(comparing ? [button('Clear comparison', () => send({ type: 'clearCompare' }), true)] : []),
    button('Export HTML', () => send({ type: 'exportHtml' }), true),
  );
  const grid = el('main', { class: 'grid' });
  app.replaceChildren(el('header', {}, el('h1', {}, view.title), actions), legend, grid);

  for (const col of view.columns) {
    const badges = [
      ...col.warnings.map((w) => el('span', { class: 'badge warn', title: w.message }, `⚠ ${w.code.replace(/_/g, ' ')}`)),
      ...col.compareWarnings.map((w) => el('span', { class: 'badge warn cmp', title: w.message }, `⚠ compare: ${w.code.replace(/_/g, ' ')}`)),
    ];
    const notes = [...col.warnings, ...col.compareWarnings];
    const table = el(
      'table',
      { class: 'stats' },
      ...(comparing ? [el('tr', {}, el('th'), el('th', { class: 'ds0' }, 'base'), el('th', { class: 'ds1' }, 'compare'))] : []),
      ...col.stats.map((s) => el('tr', {}, el('th', {}, s.label), ...s.values.map((v) => el('td', {}, v)))),
    );
    const chartEl = el('div', { class: 'chart', 'aria-label': `Distribution of ${col.name}` });
    const card = el(
      'section',
      { class: `card${col.warnings.length ? ' flagged' : ''}`, 'data-column': col.name },
      el('h2', {}, el('span', { class: 'name' }, col.name), el('span', { class: 'type', title: `stored as ${col.duckdbType}` }, col.type), ...badges),
      ...(notes.length ? [el('ul', { class: 'notes' }, ...notes.map((n) => el('li', {}, n.message)))] : []),
      el('div', { class: 'body' }, table, chartEl),
    );
    grid.append(card);
    await chart(chartEl, col.spec);
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = hostToWebviewSchema.safeParse(event.data);
  if (!parsed.success) {
    console.warn('ProdML: ignored a malformed message', parsed.error.message);
    return;
  }
  const msg = parsed.data;
  if (msg.type === 'loading') renderLoading(msg);
  else if (msg.type === 'error') renderError(msg);
  else {
    shown = msg.view;
    void renderProfile(msg.view);
  }
  if (msg.type !== 'profile') shown = undefined;
});

// Chart colours come from the theme when drawn: redraw when the user switches theme.
onThemeChange(() => shown && void renderProfile(shown));

send({ type: 'ready' });
