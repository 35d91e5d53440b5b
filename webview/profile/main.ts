import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { hostToWebviewSchema, type HostToWebview, type ProfileViewMessage, type WebviewToHost } from '../../src/protocol/profileMessages';

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void };
const vscode = acquireVsCodeApi();
const send = (msg: WebviewToHost) => vscode.postMessage(msg);
const app = document.getElementById('app')!;

function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function button(label: string, onClick: () => void, secondary = false): HTMLElement {
  const b = el('vscode-button', secondary ? { secondary: '' } : {}, label);
  b.addEventListener('click', onClick);
  return b;
}

/** Vega colours from the editor theme, so charts read well in light and dark themes alike. */
function chartConfig() {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const fg = v('--vscode-foreground', '#cccccc');
  const grid = v('--vscode-editorWidget-border', '#454545');
  return {
    background: 'transparent',
    font: v('--vscode-font-family', 'sans-serif'),
    axis: { labelColor: fg, titleColor: fg, gridColor: grid, domainColor: grid, tickColor: grid, labelFontSize: 10, titleFontSize: 11 },
    view: { stroke: null },
  };
}

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

  const config = chartConfig();
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
    const chart = el('div', { class: 'chart', 'aria-label': `Distribution of ${col.name}` });
    const card = el(
      'section',
      { class: `card${col.warnings.length ? ' flagged' : ''}`, 'data-column': col.name },
      el('h2', {}, el('span', { class: 'name' }, col.name), el('span', { class: 'type' }, col.type), el('span', { class: 'dtype' }, col.duckdbType), ...badges),
      ...(notes.length ? [el('ul', { class: 'notes' }, ...notes.map((n) => el('li', {}, n.message)))] : []),
      el('div', { class: 'body' }, table, chart),
    );
    grid.append(card);
    // The interpreter evaluates Vega expressions without eval(), as the CSP requires.
    await embed(chart, col.spec as VisualizationSpec, {
      actions: false,
      renderer: 'svg',
      ast: true,
      expr: expressionInterpreter,
      config,
      defaultStyle: false,
    }).catch((e: unknown) => chart.replaceChildren(el('div', { class: 'error' }, `Chart failed: ${String(e)}`)));
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
  else void renderProfile(msg.view);
});

send({ type: 'ready' });
