import * as vscode from 'vscode';
import { EngineClient } from './engineClient';
import { inferSchemaCommand } from './inferSchemaCommand';
import { trainModelCommand } from './trainPanel';
import { ModelsView } from './modelsView';
import { guarded } from './engineErrors';
import { startLanguageClient } from './languageClient';
import { pickDataFile } from './pickData';
import { ProfilePanel } from './profilePanel';
import { addLabelsCommand } from './addLabelsCommand';
import { importModelCommand } from './importModelCommand';
import { batchPredictCommand } from './batchPredictCommand';
import { compareVersionsCommand } from './comparePanel';
import { MonitorController } from './monitorController';
import { ServerController } from './serverController';
import { RunsView } from './runsView';
import { adviseServingCommand } from './advisePanel';
import { ChecksController } from './checksController';
import { TriggerController } from './triggerController';
import { tuneCommand } from './tunePanel';
import { runPipelineCommand } from './runPipelineCommand';

/** Editor glue only: every command calls the engine, which calls src/core. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('ProdML', { log: true });
  const engine = new EngineClient(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath);
  const deps = { engine, extensionUri: context.extensionUri, log };
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const models = new ModelsView(root);
  const server = new ServerController(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath, log);
  const monitor = new MonitorController(deps);
  const runs = new RunsView(root);
  const checks = new ChecksController(deps);
  const triggers = new TriggerController(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath, engine, log, () => {
    runs.refresh();
    models.refresh();
  });
  // Every disposable is registered here, in one place.
  context.subscriptions.push(
    log,
    engine,
    vscode.commands.registerCommand('prodml.profileDataset', async (uri?: vscode.Uri) => {
      const data = await pickDataFile('Profile which dataset?', uri instanceof vscode.Uri ? uri : undefined, undefined, { datasets: true });
      if (data) ProfilePanel.show(deps, data);
    }),
    vscode.commands.registerCommand('prodml.trainModel', async () => {
      await trainModelCommand(deps);
      models.refresh();
    }),
    models,
    vscode.window.registerTreeDataProvider('prodml.models', models),
    vscode.commands.registerCommand('prodml.models.refresh', () => models.refresh()),
    vscode.commands.registerCommand('prodml.models.promote', (n) =>
      guarded(log, async () => {
        await models.promote(n);
        await monitor.recheckAlerted(n?.model);
      }),
    ),
    vscode.commands.registerCommand('prodml.models.rollback', (n) =>
      guarded(log, async () => {
        await models.rollback(n);
        await monitor.recheckAlerted(n?.kind === 'model' ? n.model?.model : n?.model);
      }),
    ),
    vscode.commands.registerCommand('prodml.models.showCard', (n) => guarded(log, () => models.showCard(n))),
    vscode.commands.registerCommand('prodml.models.delete', (n) => guarded(log, () => models.deleteVersion(n))),
    vscode.commands.registerCommand('prodml.models.gc', (n) => guarded(log, () => models.gc(n))),
    vscode.commands.registerCommand('prodml.models.compare', (n) =>
      guarded(log, async () => {
        const target = await models.otherVersions(n);
        if (target && root) await compareVersionsCommand(deps, root, target);
      }),
    ),
    server,
    monitor,
    server.onDidChange((e) => monitor.watch(e.running)),
    vscode.commands.registerCommand('prodml.startServer', () => (root ? server.start(root) : vscode.window.showErrorMessage('ProdML: open a workspace folder with registered models first.'))),
    vscode.commands.registerCommand('prodml.stopServer', () => server.stop()),
    vscode.commands.registerCommand('prodml.batchPredict', (uri?: vscode.Uri) => guarded(log, () => batchPredictCommand(deps, uri instanceof vscode.Uri ? uri : undefined))),
    runs,
    vscode.window.registerTreeDataProvider('prodml.runs', runs),
    vscode.commands.registerCommand('prodml.runs.refresh', () => runs.refresh()),
    vscode.commands.registerCommand('prodml.runs.openLog', (n) => guarded(log, () => runs.openLog(n))),
    vscode.commands.registerCommand('prodml.runPipeline', () =>
      runPipelineCommand(deps, () => {
        runs.refresh();
        models.refresh();
      }),
    ),
    checks,
    triggers,
    vscode.commands.registerCommand('prodml.startTriggers', () => (root ? triggers.start(root, true) : undefined)),
    vscode.commands.registerCommand('prodml.stopTriggers', () => triggers.stop()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (root && vscode.workspace.getConfiguration('prodml').get('pipeline.startTriggers', true)) void triggers.start(root);
    }),
    vscode.commands.registerCommand('prodml.checkLeakage', () => guarded(log, () => checks.leakage())),
    vscode.commands.registerCommand('prodml.featureValue', () => guarded(log, () => checks.featureValue())),
    vscode.commands.registerCommand('prodml.checkLabels', () => guarded(log, () => checks.labels())),
    vscode.commands.registerCommand('prodml.tune', () => guarded(log, () => tuneCommand(deps, () => models.refresh()))),
    vscode.commands.registerCommand('prodml.adviseServing', () => guarded(log, () => adviseServingCommand(deps))),
    vscode.commands.registerCommand('prodml.importModel', (uri?: vscode.Uri) => guarded(log, () => importModelCommand(deps, () => models.refresh(), uri instanceof vscode.Uri ? uri : undefined))),
    vscode.commands.registerCommand('prodml.addLabels', (uri?: vscode.Uri) =>
      guarded(log, () => addLabelsCommand(deps, (m) => void monitor.check(m, { quiet: true }), uri instanceof vscode.Uri ? uri : undefined)),
    ),
    vscode.commands.registerCommand('prodml.showMonitoring', (n?: { kind?: string; model?: { model?: string } }) =>
      guarded(log, () => monitor.show(n?.kind === 'model' && typeof n.model?.model === 'string' ? n.model.model : undefined)),
    ),
    vscode.commands.registerCommand('prodml.inferSchema', (uri?: vscode.Uri) => inferSchemaCommand(engine, log, uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand('prodml.profileCompare', async (uri?: vscode.Uri) => {
      const data = await pickDataFile('Profile which dataset?', uri instanceof vscode.Uri ? uri : undefined, undefined, { datasets: true });
      if (!data) return;
      const other = await pickDataFile(`Compare ${vscode.workspace.asRelativePath(data)} with...`, undefined, data);
      if (other) ProfilePanel.show(deps, data, other);
    }),
  );
  if (root && vscode.workspace.getConfiguration('prodml').get('pipeline.startTriggers', true)) void triggers.start(root);
  const client = startLanguageClient(context, log);
  context.subscriptions.push({ dispose: () => void client.stop() });
  log.info('ProdML activated');
}

export function deactivate(): void {}
