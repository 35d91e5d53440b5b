import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/** The ProdML language server (dist/server.js over stdio): diagnostics, quick fixes, hovers. */
export function startLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): LanguageClient {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio },
    debug: { module, transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', pattern: '**/*.{csv,tsv,jsonl,ndjson}' },
      { scheme: 'file', pattern: '**/*.schema.{yaml,yml}' },
      { scheme: 'file', pattern: '**/prodml.yaml' },
    ],
    outputChannel: log,
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/{prodml.yaml,*.schema.yaml,*.parquet}') },
  };
  const client = new LanguageClient('prodml', 'ProdML Language Server', serverOptions, clientOptions);
  void client.start();
  return client;
}
