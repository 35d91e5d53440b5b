import * as vscode from 'vscode';
import { listModels } from '../core/ops/registry';
import type { EngineResult } from '../protocol/engineMessages';
import type { EngineClient } from './engineClient';
import { showEngineError } from './engineErrors';

type VersionNode = { kind: 'version'; model: string; v: { version: number } };

/**
 * "ProdML: Export Model...": a version (from the Models view, or picked) as one ONNX file or a
 * static web folder, written by the engine; the card records it. Paths are asked in an input box
 * (workspace-relative by default), which works the same in desktop and remote VS Code.
 */
export async function exportModelCommand(deps: { engine: EngineClient; log: vscode.LogOutputChannel }, node?: unknown): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return void vscode.window.showErrorMessage('ProdML: open a workspace folder with registered models first.');
  const root = folder.uri.fsPath;
  const ref = isVersionNode(node) ? { model: node.model, version: node.v.version } : await pickVersion(root);
  if (!ref) return;
  const label = `${ref.model}:${ref.version}`;
  const format = await vscode.window.showQuickPick(
    [
      { label: 'ONNX file', description: 'one .onnx graph: transforms + network, for onnxruntime anywhere', value: 'onnx' as const },
      { label: 'Web folder', description: 'predict.js + model.onnx + index.html, scores offline in a browser', value: 'web' as const },
    ],
    { title: `Export ${label} as` },
  );
  if (!format) return;
  const out = await vscode.window.showInputBox({
    title: `Export ${label}: ${format.value === 'onnx' ? 'file' : 'folder'} to write (relative to the workspace)`,
    value: format.value === 'onnx' ? `exports/${ref.model}-${ref.version}.onnx` : `exports/${ref.model}-${ref.version}-web`,
    validateInput: (s) => (s.trim() === '' ? 'Give a path' : undefined),
  });
  if (!out) return;
  let r: EngineResult<'export'>;
  try {
    r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting ${label}` }, () =>
      deps.engine.request('export', { root, model: label, format: format.value, out: out.trim() }),
    );
  } catch (e) {
    return showEngineError(deps.log, `Exporting ${label}`, e);
  }
  const uri = vscode.Uri.file(r.path);
  const action = await vscode.window.showInformationMessage(
    `ProdML: exported ${r.model}:${r.version} to ${vscode.workspace.asRelativePath(uri)} (${r.format}, ${r.sha256.slice(0, 19)}…); recorded on its card.`,
    'Reveal in Explorer',
  );
  if (action) await vscode.commands.executeCommand('revealInExplorer', r.format === 'web' ? vscode.Uri.joinPath(uri, 'index.html') : uri);
}

function isVersionNode(n: unknown): n is VersionNode {
  const x = n as VersionNode | undefined;
  return x?.kind === 'version' && typeof x.model === 'string' && typeof x.v?.version === 'number';
}

async function pickVersion(root: string): Promise<{ model: string; version: number } | undefined> {
  const { models } = await listModels({ root });
  const items = models.flatMap((m) =>
    m.versions.map((v) => ({ label: `${m.model}:${v.version}`, description: [v.aliases.join(', '), v.blessed ? 'blessed' : 'not blessed'].filter(Boolean).join(' · '), model: m.model, version: v.version })),
  );
  if (items.length === 0) return void vscode.window.showErrorMessage('ProdML: no registered models yet; train one first (ProdML: Train Model).');
  return vscode.window.showQuickPick(items, { title: 'Export which model version?' });
}
