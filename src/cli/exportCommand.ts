import path from 'node:path';
import type { Command } from 'commander';
import { exportModel, type ExportResult } from '../core/ops';
import { formatRef } from '../core/registry';
import { openWorkspace } from '../core/project/workspace';
import { action } from './run';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('Export a registered model version with its fitted transforms: one ONNX file, or a static web folder that scores in the browser')
    .argument('<model>', '<model>:<version>, <model>@<alias>, or <model> (its serving alias, else the latest version)')
    .requiredOption('--format <format>', 'onnx (one .onnx file) or web (a folder: predict.js, model.onnx, index.html)')
    .requiredOption('--out <path>', 'the .onnx file or the web folder to write')
    .option('--workspace <dir>', 'the workspace holding prodml.yaml and .prodml/ (default: the nearest one upward)')
    .option('--json', 'print the result as one JSON document')
    .action(action(exportCommand));
}

export async function exportCommand(spec: string, opts: { format: string; out: string; workspace?: string; json?: boolean }): Promise<number> {
  const ws = await openWorkspace({ ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}), require: true });
  const r = await exportModel(ws, { model: spec, format: opts.format, out: opts.out });
  if (r.note) process.stderr.write(`prodml: ${r.note}\n`);
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(describe(r));
  return 0;
}

function describe(r: ExportResult): string {
  const rel = path.relative(process.cwd(), r.path) || r.path;
  const inputs = r.inputs.map((i) => `${i.name} (${i.type})`).join(', ');
  const output = r.task === 'multiclass' ? `${r.output}: probabilities of ${r.classes!.join(', ')}` : r.task === 'binary' ? `${r.output}: P(class 1)` : `${r.output}: the value`;
  const head = r.format === 'onnx' ? `${formatRef(r.model, r.version)}: wrote ${rel} (ONNX, ${(r.bytes / 1024).toFixed(1)} KiB, ${r.sha256})` : `${formatRef(r.model, r.version)}: wrote the web folder ${rel}${path.sep} (${r.files.join(', ')}); serve it from any static host and open index.html, or import predict.js`;
  return `${head}\ninputs: ${inputs}\noutput: ${output}\n`;
}
