import { reportHostToWebviewSchema, type ReportHostToWebview, type ReportSection, type ReportWebviewToHost } from '../../src/protocol/reportMessages';
import { button, chart, el, onThemeChange, poster } from '../shared/ui';

const send = poster<ReportWebviewToHost>();
const app = document.getElementById('app')!;

/** The host formats numbers (src/core/report/format.ts); anything else left is shown as is. */
function cellText(v: string | number | null): string {
  return v === null ? '—' : String(v);
}

function section(s: ReportSection, charts: Promise<void>[]): HTMLElement {
  const parts: Node[] = [el('h2', {}, s.title)];
  if (s.note) parts.push(el('p', { class: 'muted' }, s.note));
  if (s.alerts?.length) parts.push(el('ul', { class: 'alerts' }, ...s.alerts.map((a) => el('li', { class: a.severity, role: a.severity === 'error' ? 'alert' : 'note' }, a.text))));
  if (s.table) {
    const t = s.table;
    parts.push(
      el(
        'table',
        { class: 'grid' },
        el('thead', {}, el('tr', {}, ...t.columns.map((c) => el('th', {}, c)))),
        el('tbody', {}, ...t.rows.map((r, i) => el('tr', { class: t.marks?.[i] ?? 'none' }, ...r.map((v, j) => el(j === 0 ? 'th' : 'td', typeof v === 'string' && v.length > 24 ? { class: 'text' } : {}, cellText(v)))))),
      ),
    );
  }
  for (const c of s.charts ?? []) {
    const into = el('div', { class: 'chart', 'aria-label': c.title });
    parts.push(el('h3', {}, c.title), into);
    charts.push(chart(into, c.spec));
  }
  return el('section', {}, ...parts);
}

async function render(s: ReportHostToWebview): Promise<void> {
  const charts: Promise<void>[] = [];
  app.replaceChildren(
    el('header', {}, el('h1', {}, s.title), el('div', { class: 'actions' }, ...s.actions.map((a) => button(a.label, () => send({ type: 'action', id: a.id }), a.secondary)))),
    ...(s.message ? [el('p', { class: `status ${s.status}`, role: s.status === 'failed' ? 'alert' : 'status' }, s.message)] : []),
    ...(s.status === 'loading' ? [el('vscode-progress-bar', { indeterminate: '' })] : []),
    ...s.sections.map((x) => section(x, charts)),
  );
  await Promise.all(charts);
}

let shown: ReportHostToWebview | undefined;
window.addEventListener('message', (event: MessageEvent) => {
  const parsed = reportHostToWebviewSchema.safeParse(event.data);
  if (!parsed.success) return console.warn('ProdML: ignored a malformed message', parsed.error.message);
  shown = parsed.data;
  void render(parsed.data);
});
onThemeChange(() => shown && void render(shown));
send({ type: 'ready' });
