/**
 * The files of a web export: a static folder that scores offline in any modern browser with
 * onnxruntime-web (WebAssembly, one thread, so no cross-origin isolation is needed) running the
 * very ONNX graph `--format onnx` writes. predict.js turns rows into graph inputs with the same
 * toNumber/toCategory functions the server uses (their source is embedded, not rewritten), and
 * returns what the server's :predict returns: a number per row, or {class: probability}.
 * No inline script or style and no eval: the page's CSP allows only its own files (plus
 * 'wasm-unsafe-eval', which compiling WebAssembly needs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { toCategory, toNumber } from '../features/apply';
import type { OnnxExport } from './onnxExport';

/** onnxruntime-web's single-file ES module (its Emscripten glue included) and the WebAssembly it loads. */
export const ORT_WEB_FILES = ['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm'] as const;

export const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'";

/** Where onnxruntime-web's browser files are: beside the bundled CLI/extension (dist/ort-web), else the installed package. */
export function ortWebDir(): string {
  const candidates = [path.join(__dirname, 'ort-web')];
  try {
    candidates.push(path.dirname(require.resolve('onnxruntime-web')));
  } catch {
    // not installed: only the bundled copy can serve
  }
  const dir = candidates.find((d) => ORT_WEB_FILES.every((f) => fs.existsSync(path.join(d, f))));
  if (!dir) throw new Error(`onnxruntime-web's browser files (${ORT_WEB_FILES.join(', ')}) are missing from ${candidates.join(' and ')}; reinstall ProdML`);
  return dir;
}

export interface WebMetadata {
  model: string;
  version: number;
  task: string;
  classes?: string[];
  inputs: OnnxInput[];
  output: string;
}
type OnnxInput = OnnxExport['inputs'][number];

export function predictJs(meta: WebMetadata): string {
  return `// ${meta.model}:${meta.version}, exported by ProdML. Scores rows in the browser, offline, with the
// model's own fitted transforms (model.onnx) on onnxruntime-web.
//   import { predict } from './predict.js';
//   await predict([{ ${meta.inputs.map((i) => `${JSON.stringify(i.name)}: ${i.type === 'float32' ? '1.5' : '"a"'}`).join(', ')} }]);
// A missing, empty or unreadable value is treated as missing, exactly as the ProdML server does.
import * as ort from './${ORT_WEB_FILES[0]}';

export const metadata = ${JSON.stringify(meta, null, 2)};

// The Emscripten glue is inside the bundle; only the .wasm is fetched, from this folder.
ort.env.wasm.wasmPaths = { wasm: new URL('./${ORT_WEB_FILES[1]}', import.meta.url).href };
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;

// The server's own coercions (features/apply.ts), so a value means the same here.
const toNumber = (${toNumber.toString()});
const toCategory = (${toCategory.toString()});

let session;
function load() {
  session ??= ort.InferenceSession.create(new URL('./model.onnx', import.meta.url).href, { executionProviders: ['wasm'] });
  return session;
}

/** Predictions for rows (objects keyed by column): P(class 1) for binary, {class: probability} for multiclass, the value for regression. */
export async function predict(rows) {
  if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== 'object')) throw new TypeError('predict(rows): rows must be an array of objects keyed by column name');
  const n = rows.length;
  if (n === 0) return [];
  const feeds = {};
  for (const input of metadata.inputs) {
    feeds[input.name] = input.type === 'float32'
      ? new ort.Tensor('float32', Float32Array.from(rows, (r) => toNumber(r[input.name]) ?? NaN), [n, 1])
      : new ort.Tensor('string', rows.map((r) => toCategory(r[input.name]) ?? ''), [n, 1]);
  }
  const out = (await (await load()).run(feeds))[metadata.output].data;
  if (metadata.task !== 'multiclass') return Array.from(out);
  const k = metadata.classes.length;
  return Array.from({ length: n }, (_, i) => Object.fromEntries(metadata.classes.map((c, j) => [c, out[i * k + j]])));
}
`;
}

export function indexHtml(meta: WebMetadata): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const fields = meta.inputs
    .map((i) => `      <label>${esc(i.name)} <input name="${esc(i.name)}" ${i.type === 'float32' ? 'inputmode="decimal"' : ''} autocomplete="off"> <small>${i.type === 'float32' ? 'number' : 'category'}</small></label>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="${CSP}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(meta.model)}:${meta.version}: ProdML prediction</title>
  <link rel="stylesheet" href="style.css">
  <link rel="icon" href="favicon.svg" type="image/svg+xml">
</head>
<body>
  <h1>${esc(meta.model)} <small>version ${meta.version}, ${esc(meta.task)}</small></h1>
  <form id="row">
${fields}
    <button type="submit">Predict</button>
  </form>
  <p>Prediction: <output id="prediction" aria-live="polite">–</output></p>
  <p class="note">Scored in this page with onnxruntime-web; nothing leaves the browser. Empty fields are treated as missing.</p>
  <script type="module" src="app.js"></script>
</body>
</html>
`;
}

export const APP_JS = `// The demo form: one row from the fields, scored by predict.js.
import { metadata, predict } from './predict.js';

const form = document.getElementById('row');
const output = document.getElementById('prediction');
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const row = Object.fromEntries(metadata.inputs.map((i) => [i.name, form.elements.namedItem(i.name).value]));
  output.textContent = '…';
  try {
    const [p] = await predict([row]);
    output.textContent = typeof p === 'number' ? String(p) : Object.entries(p).map(([c, v]) => c + ': ' + v.toFixed(4)).join(', ');
  } catch (err) {
    output.textContent = 'Error: ' + (err && err.message ? err.message : String(err));
  }
});
document.body.dataset.ready = 'true';
`;

export const STYLE_CSS = `body { font: 15px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
label { display: block; margin: 0.4rem 0; }
input { width: 12rem; }
small, .note { color: #666; }
output { font-weight: bold; }
`;

/** Browsers ask for an icon; one in the folder keeps the console free of a 404. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#3a7"/></svg>
`;
