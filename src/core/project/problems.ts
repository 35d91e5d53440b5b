/**
 * What is wrong in prodml.yaml beyond its JSON Schema: references that the editor can point at.
 * The language server shows these as diagnostics; they come from the core so any front end can.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseProjectConfig } from './config';
import { parseSchema } from '../schema/io';

export interface ProjectProblem {
  /** 0-based line and character range in prodml.yaml. */
  line: number;
  start: number;
  end: number;
  severity: 'error' | 'warning';
  message: string;
}

/**
 * References of a prodml.yaml that parses: a label that is not a feature of the dataset's schema,
 * a schema file or a model's ONNX file that does not exist. `schemaText` reads a schema (an open editor's text first).
 */
export function projectProblems(text: string, root: string, schemaText: (file: string) => string | undefined = readText): ProjectProblem[] {
  const cfg = parseProjectConfig(text, root);
  const out: ProjectProblem[] = [];
  const lines = text.split('\n');
  const lineOf = (wanted: string) => Math.max(0, lines.findIndex((l) => l.trim() === wanted));
  for (const d of cfg.datasets) {
    const schemaFile = d.schema ? path.resolve(root, d.schema) : undefined;
    const schema = schemaFile ? schemaText(schemaFile) : undefined;
    const features = schema !== undefined ? parseSchema(schema).schema?.features : undefined;
    if (d.label && features && !(d.label in features)) {
      const line = lineOf(`label: ${d.label}`);
      out.push({ line, start: (lines[line] ?? '').indexOf(d.label), end: (lines[line] ?? '').length, severity: 'error', message: `datasets.${d.name}.label: "${d.label}" is not a feature of ${d.schema}` });
    }
    if (d.schema && schemaFile && !fs.existsSync(schemaFile)) {
      const line = lineOf(`schema: ${d.schema}`);
      out.push({ line, start: 0, end: (lines[line] ?? '').length, severity: 'error', message: `datasets.${d.name}.schema: ${d.schema} does not exist; create it with "prodml schema infer <data> -o ${d.schema}"` });
    }
  }
  for (const m of cfg.models) {
    if (!m.source || fs.existsSync(path.resolve(root, m.source.onnx))) continue;
    // Flow (`source: {onnx: f}`) or block (`onnx: f` under `source:`) style: the line naming the file.
    const line = Math.max(0, lines.findIndex((l) => /\bonnx:/.test(l) && l.includes(m.source!.onnx)));
    const at = (lines[line] ?? '').indexOf(m.source.onnx);
    out.push({ line, start: Math.max(0, at), end: at >= 0 ? at + m.source.onnx.length : (lines[line] ?? '').length, severity: 'error', message: `models.${m.name}.source.onnx: ${m.source.onnx} does not exist; export the model to ONNX there, or fix the path` });
  }
  return out;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
