import path from 'node:path';
import type { Command } from 'commander';
import * as ops from '../core/ops';
import { formatRef } from '../core/ops/format';
import { action, print, workspaceOf, workspaceOption } from './run';

export function registerExportCommand(program: Command): void {
  workspaceOption(
    program
      .command('export')
      .description('Export a registered model version with its fitted transforms: one ONNX file, or a static web folder that scores in the browser')
      .argument('<model>', '<model>:<version>, <model>@<alias>, or <model> (its serving alias, else the latest version)')
      .requiredOption('--format <format>', 'onnx (one .onnx file) or web (a folder: predict.js, model.onnx, index.html)')
      .requiredOption('--out <path>', 'the .onnx file or the web folder to write')
      .option('--json', 'print the result as one JSON document'),
  ).action(action(exportCommand));
}

export async function exportCommand(spec: string, opts: { format: string; out: string; workspace?: string; json?: boolean }): Promise<number> {
  const r = await ops.exportModel(await workspaceOf(opts), { model: spec, format: opts.format, out: opts.out });
  if (r.note) process.stderr.write(`prodml: ${r.note}\n`);
  print(opts.json, r, () => describe(r));
  return 0;
}

function describe(r: ops.ExportResult): string {
  const rel = path.relative(process.cwd(), r.path) || r.path;
  const inputs = r.inputs.map((i) => `${i.name} (${i.type})`).join(', ');
  const output = r.task === 'multiclass' ? `${r.output}: probabilities of ${r.classes!.join(', ')} (and label: the most probable)` : r.task === 'binary' ? `${r.output}: P(class 1)` : `${r.output}: the value`;
  const head =
    r.format === 'onnx'
      ? `${formatRef(r.model, r.version)}: wrote ${rel} (ONNX, ${(r.bytes / 1024).toFixed(1)} KiB, ${r.sha256})`
      : `${formatRef(r.model, r.version)}: wrote the web folder ${rel}${path.sep} (${r.files.join(', ')}); serve it from any static host and open index.html, or import predict.js`;
  return `${head}\ninputs: ${inputs}\noutput: ${output}\n`;
}
