import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { datasetEntryRange } from '../core/ops/datasets';
import { PROJECT_FILE } from '../core/project/config';
import type { CommandContext } from './commandContext';
import type { EngineResult } from '../protocol/engineMessages';
import { engineParams } from './engineParams';
import { showEngineError } from './engineErrors';
import { pickDataFile } from './pickData';
import type { Problems } from './problems';

type Validation = EngineResult<'validate'>;

/**
 * "ProdML: Validate Dataset": a data file or a prodml.yaml dataset (a database one is validated
 * where it lives, pushed down as SQL) checked against its schema, the same call as
 * `prodml validate`. Anomalies go to the Problems panel: a file's at their lines, a database
 * dataset's on its entry in prodml.yaml.
 */
export async function validateDatasetCommand(deps: CommandContext, problems: Problems, given?: vscode.Uri): Promise<void> {
  const data = await pickDataFile('Validate which dataset?', given, undefined, { datasets: true });
  if (!data) return;
  const params = engineParams(data);
  const name = params.data;
  let r: Validation | undefined;
  try {
    r = await deps.withProgress(`Validating ${name}`, (_report, token) => deps.engine.request('validate', params, { cancel: token }));
  } catch (e) {
    showEngineError(deps.log, `Validating ${name}`, e);
    return;
  }
  const dataset = !fs.existsSync(data.fsPath);
  const entries = dataset ? datasetEntries(params.cwd, name, r) : fileEntries(params.cwd, data.fsPath, r);
  problems.set(`validate:${data.fsPath}`, entries);
  const errors = r.anomalies.filter((a) => a.severity === 'error').length;
  const summary = `ProdML: ${r.source}: ${r.rows.toLocaleString('en-US')} rows against ${r.schema}: ${r.anomalies.length === 0 ? 'no anomalies' : `${errors} error${errors === 1 ? '' : 's'}, ${r.anomalies.length - errors} warning${r.anomalies.length - errors === 1 ? '' : 's'} (in the Problems panel)`}.`;
  if (r.anomalies.length === 0) void vscode.window.showInformationMessage(summary);
  else void vscode.window.showWarningMessage(summary);
}

function diagnostic(range: vscode.Range, a: Validation['anomalies'][number], prefix = ''): vscode.Diagnostic {
  const d = new vscode.Diagnostic(range, `${prefix}${a.description}`, a.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  d.source = 'ProdML validate';
  d.code = a.type;
  return d;
}

/** A database dataset's anomalies on its entry in prodml.yaml (its schema: line, else its name). */
function datasetEntries(root: string, name: string, r: Validation): Map<string, vscode.Diagnostic[]> {
  const file = path.join(root, PROJECT_FILE);
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* no prodml.yaml: line 1 */
  }
  const at = datasetEntryRange(text, name, 'schema') ?? { line: 0, start: 0, end: 1 };
  const range = new vscode.Range(at.line, at.start, at.line, Math.max(at.end, at.start + 1));
  return new Map([[file, r.anomalies.map((a) => diagnostic(range, a, `${name}: `))]]);
}

/** A file's anomalies at their lines (and cells' columns where known), the rest on line 1. */
function fileEntries(cwd: string, file: string, r: Validation): Map<string, vscode.Diagnostic[]> {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const a of r.anomalies) {
    const target = a.file ? path.resolve(cwd, a.file) : file;
    const line = Math.max(0, (a.line ?? 1) - 1);
    byFile.set(target, [...(byFile.get(target) ?? []), diagnostic(new vscode.Range(line, 0, line, 1000), a)]);
  }
  return byFile;
}
