import * as vscode from 'vscode';
import { EngineClient } from './engineClient';
import { inferSchemaCommand } from './inferSchemaCommand';
import { trainModelCommand } from './trainPanel';
import { ModelsView } from './modelsView';
import { guarded } from './engineErrors';
import { startLanguageClient } from './languageClient';
import { pickDataFile } from './pickData';
import { ProfilePanel } from './profilePanel';

/** Editor glue only: every command calls the engine, which calls src/core. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('ProdML', { log: true });
  const engine = new EngineClient(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath);
  const deps = { engine, extensionUri: context.extensionUri, log };
  const models = new ModelsView(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  // Every disposable is registered here, in one place.
  context.subscriptions.push(
    log,
    engine,
    vscode.commands.registerCommand('prodml.profileDataset', async (uri?: vscode.Uri) => {
      const data = await pickDataFile('Profile which dataset?', uri instanceof vscode.Uri ? uri : undefined);
      if (data) ProfilePanel.show(deps, data);
    }),
    vscode.commands.registerCommand('prodml.trainModel', async () => {
      await trainModelCommand(deps);
      models.refresh();
    }),
    models,
    vscode.window.registerTreeDataProvider('prodml.models', models),
    vscode.commands.registerCommand('prodml.models.refresh', () => models.refresh()),
    vscode.commands.registerCommand('prodml.models.promote', (n) => guarded(log, () => models.promote(n))),
    vscode.commands.registerCommand('prodml.models.rollback', (n) => guarded(log, () => models.rollback(n))),
    vscode.commands.registerCommand('prodml.models.showCard', (n) => guarded(log, () => models.showCard(n))),
    vscode.commands.registerCommand('prodml.inferSchema', (uri?: vscode.Uri) => inferSchemaCommand(engine, log, uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand('prodml.profileCompare', async (uri?: vscode.Uri) => {
      const data = await pickDataFile('Profile which dataset?', uri instanceof vscode.Uri ? uri : undefined);
      if (!data) return;
      const other = await pickDataFile(`Compare ${vscode.workspace.asRelativePath(data)} with...`, undefined, data);
      if (other) ProfilePanel.show(deps, data, other);
    }),
  );
  const client = startLanguageClient(context, log);
  context.subscriptions.push({ dispose: () => void client.stop() });
  log.info('ProdML activated');
}

export function deactivate(): void {}
