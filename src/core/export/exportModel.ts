/**
 * `prodml export`: a registered version as one ONNX file, or as a static web folder scoring that
 * same graph in the browser. Every export is recorded on the version's card (format, sha256,
 * path, time). Files appear whole: written beside the target, then renamed into place.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../errors';
import { formatRef, openRegistry, type ExportRecord, type ModelVersion, type Registry } from '../registry';
import { currentUser } from '../registry/card';
import { writeFileAtomic } from '../project/atomicWrite';
import { resolveVersion } from '../project/resolveVersion';
import type { Workspace } from '../project/workspace';
import { VERSION } from '../project/version';
import { buildOnnx, type OnnxInput } from './onnxExport';
import { APP_JS, FAVICON_SVG, indexHtml, ORT_WEB_FILES, ortWebDir, predictJs, STYLE_CSS, type WebMetadata } from './webBundle';

export const EXPORT_FORMATS = ['onnx', 'web'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Written into every web export; a folder holding it may be replaced by the next export. */
export const WEB_MANIFEST = 'prodml-export.json';

export interface ExportRequest {
  /** `model`, `model:3`, `model:latest` or `model@alias`; a bare name is what serving answers with. */
  model: string;
  format: ExportFormat | string;
  /** The .onnx file, or the web folder. Relative paths are from the workspace's cwd (where the user typed them). */
  out: string;
}

export interface ExportResult {
  model: string;
  version: number;
  format: ExportFormat;
  /** Absolute path of the file or folder written. */
  path: string;
  /** Files written (relative to a web folder; the file itself for onnx). */
  files: string[];
  sha256: string;
  bytes: number;
  task: string;
  classes?: string[];
  inputs: OnnxInput[];
  output: string;
  note?: string;
}

export async function exportModel(ws: Workspace, req: ExportRequest): Promise<ExportResult> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(req.format)) throw badInput(undefined, `--format ${req.format}: give onnx or web`);
  if (!req.out) throw badInput(undefined, '--out: give the file (onnx) or folder (web) to write');
  const registry = await openRegistry(ws.root);
  const { version, note } = await resolveVersion(ws.root, registry, req.model, { bare: 'served' });
  const result = await exportVersion(registry, version, req.format as ExportFormat, path.resolve(ws.cwd, req.out));
  return note ? { ...result, note } : result;
}

export async function exportVersion(registry: Registry, version: ModelVersion, format: ExportFormat, out: string): Promise<ExportResult> {
  const onnx = await buildOnnx(version);
  const sha256 = `sha256:${createHash('sha256').update(onnx.bytes).digest('hex')}`;
  let files: string[];
  if (format === 'onnx') {
    if ((await fs.stat(out).catch(() => undefined))?.isDirectory()) throw badInput(out, 'is a folder; --format onnx writes one file (e.g. --out model.onnx)');
    await writeFileAtomic(out, Buffer.from(onnx.bytes.buffer, onnx.bytes.byteOffset, onnx.bytes.byteLength));
    files = [out];
  } else {
    const meta: WebMetadata = { model: version.model, version: version.version, task: onnx.task, ...(onnx.classes ? { classes: onnx.classes } : {}), inputs: onnx.inputs, output: onnx.output };
    files = await writeWebFolder(out, meta, onnx.bytes, sha256);
  }
  const record: ExportRecord = { format, sha256, path: out, at: new Date().toISOString(), user: currentUser(), tool_version: VERSION };
  await registry.recordExport(version.model, version.version, record);
  return {
    model: version.model,
    version: version.version,
    format,
    path: out,
    files,
    sha256,
    bytes: onnx.bytes.byteLength,
    task: onnx.task,
    ...(onnx.classes ? { classes: onnx.classes } : {}),
    inputs: onnx.inputs,
    output: onnx.output,
  };
}

/** Builds the folder beside `out`, then swaps it in: a reader never sees half a bundle. */
async function writeWebFolder(out: string, meta: WebMetadata, model: Uint8Array, sha256: string): Promise<string[]> {
  const existing = await fs.stat(out).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw badInput(out, 'is a file; --format web writes a folder');
  if (existing) {
    const entries = await fs.readdir(out);
    if (entries.length > 0 && !entries.includes(WEB_MANIFEST)) throw badInput(out, `is a folder that is not empty and holds no earlier ProdML web export (${WEB_MANIFEST}); give a new or empty folder`);
  }
  const parent = path.dirname(out);
  await fs.mkdir(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(out)}.tmp-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  try {
    const ort = ortWebDir();
    for (const f of ORT_WEB_FILES) await fs.copyFile(path.join(ort, f), path.join(tmp, f));
    const manifest = { ...meta, format: 'web', sha256, ref: formatRef(meta.model, meta.version), created_at: new Date().toISOString(), tool_version: VERSION };
    const texts: Record<string, string | Uint8Array> = {
      'model.onnx': model,
      'predict.js': predictJs(meta),
      'index.html': indexHtml(meta),
      'app.js': APP_JS,
      'style.css': STYLE_CSS,
      'favicon.svg': FAVICON_SVG,
      [WEB_MANIFEST]: JSON.stringify(manifest, null, 2) + '\n',
    };
    for (const [name, body] of Object.entries(texts)) await fs.writeFile(path.join(tmp, name), body);
    if (existing) {
      const trash = path.join(parent, `.${path.basename(out)}.old-${randomBytes(4).toString('hex')}`);
      await fs.rename(out, trash);
      await fs.rename(tmp, out);
      await fs.rm(trash, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, out);
    }
    return [...ORT_WEB_FILES, ...Object.keys(texts)].sort();
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
