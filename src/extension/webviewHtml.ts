import { randomBytes } from 'node:crypto';
import type { Uri, Webview } from 'vscode';

/** A webview page with a strict CSP: only our nonce'd bundle runs, nothing loads from the network. */
export function webviewHtml(webview: Webview, distUri: (file: string) => Uri, app: string, title: string): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    // vega-embed and the tooltip plugin add <style> elements at run time.
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en"><head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${webview.asWebviewUri(distUri(`webview/${app}.css`))}">
<title>${esc(title)}</title>
</head><body>
<div id="app" data-title="${esc(title)}"></div>
<script nonce="${nonce}" src="${webview.asWebviewUri(distUri(`webview/${app}.js`))}"></script>
</body></html>`;
}
