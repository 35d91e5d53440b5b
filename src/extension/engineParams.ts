import path from 'node:path';
import * as vscode from 'vscode';

/**
 * Where the engine may read and how paths are shown: relative to the data's workspace folder,
 * with DuckDB confined to the workspace folders plus the folders of the files the user chose.
 */
export function engineParams(data: vscode.Uri, compare?: vscode.Uri) {
  const dirs = new Set((vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
  dirs.add(path.dirname(data.fsPath));
  if (compare) dirs.add(path.dirname(compare.fsPath));
  const cwd = vscode.workspace.getWorkspaceFolder(data)?.uri.fsPath ?? path.dirname(data.fsPath);
  const rel = (u: vscode.Uri) => {
    const r = path.relative(cwd, u.fsPath);
    return r.startsWith('..') || path.isAbsolute(r) ? u.fsPath : r;
  };
  return { data: rel(data), compare: compare ? rel(compare) : undefined, cwd, allowedDirectories: [...dirs] };
}
