/** What every ProdML webview needs: the VS Code API, DOM building, themed Vega charts. */
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void };
const api = acquireVsCodeApi();

/** Posts a message to the extension host; callers pass their contract's message type. */
export function poster<T>(): (msg: T) => void {
  return (msg) => api.postMessage(msg);
}

export function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function button(label: string, onClick: () => void, secondary = false): HTMLElement {
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
    legend: { labelColor: fg, titleColor: fg },
    view: { stroke: null },
  };
}

/** Renders a host-built Vega-Lite spec as SVG; the interpreter evaluates expressions without eval(), as the CSP requires. */
export async function chart(into: HTMLElement, spec: unknown): Promise<void> {
  await embed(into, spec as VisualizationSpec, { actions: false, renderer: 'svg', ast: true, expr: expressionInterpreter, config: chartConfig(), defaultStyle: false }).catch((e: unknown) =>
    into.replaceChildren(el('div', { class: 'error' }, `Chart failed: ${String(e)}`)),
  );
}

/**
 * Calls `redraw` when VS Code switches colour theme (it swaps the body's vscode-light /
 * vscode-dark class): chart colours are read from the theme when a chart is drawn.
 */
export function onThemeChange(redraw: () => void): void {
  let theme = document.body.className;
  new MutationObserver(() => {
    if (document.body.className === theme) return;
    theme = document.body.className;
    redraw();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
