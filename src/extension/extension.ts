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
import { exportModelCommand } from './exportModelCommand';
import { compareVersionsCommand } from './comparePanel';
import { MonitorController } from './monitorController';
import { ServerController } from './serverController';
import { RunsView } from './runsView';
import { adviseServingCommand } from './advisePanel';
import { ChecksController } from './checksController';
import { TriggerController } from './triggerController';
import { tuneCommand } from './tunePanel';
import { runPipelineCommand } from './runPipelineCommand';
import { commandContext } from './commandContext';
import { Problems } from './problems';
import { validateDatasetCommand } from './validateCommand';

/** Editor glue only: every command calls the engine, which calls src/core. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('ProdML', { log: true });
  const engine = new EngineClient(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath);
  const deps = commandContext(engine, context.extensionUri, log);
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const models = new ModelsView(root);
  const server = new ServerController(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath, log);
  const problems = new Problems();
  const monitor = new MonitorController(deps, problems);
  const runs = new RunsView(root);
  const checks = new ChecksController(deps, problems);
  const triggers = new TriggerController(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath, engine, log, () => {
    runs.refresh();
    models.refresh();
  });
  // Every command, by id: the table package.json's contributions point at.
  const commands: Record<string, (...args: any[]) => unknown> = {
    'prodml.profileDataset': async (uri?: vscode.Uri) => {
      const data = await pickDataFile('Profile which dataset?', uri instanceof vscode.Uri ? uri : undefined, undefined, { datasets: true });
      if (data) ProfilePanel.show(deps, data);
    },
    'prodml.trainModel': async () => {
      await trainModelCommand(deps);
      models.refresh();
    },
    'prodml.models.refresh': () => models.refresh(),
    'prodml.models.promote': (n) =>
      guarded(log, async () => {
        await models.promote(n);
        await monitor.recheckAlerted(n?.model);
      }),
    'prodml.models.rollback': (n) =>
      guarded(log, async () => {
        await models.rollback(n);
        await monitor.recheckAlerted(n?.kind === 'model' ? n.model?.model : n?.model);
      }),
    'prodml.models.showCard': (n) => guarded(log, () => models.showCard(n)),
    'prodml.models.export': (n) => guarded(log, () => exportModelCommand(deps, n)),
    'prodml.models.delete': (n) => guarded(log, () => models.deleteVersion(n)),
    'prodml.models.gc': (n) => guarded(log, () => models.gc(n)),
    'prodml.models.compare': (n) =>
      guarded(log, async () => {
        const target = await models.otherVersions(n);
        if (target && root) await compareVersionsCommand(deps, root, target);
      }),
    'prodml.startServer': () => (root ? server.start(root) : vscode.window.showErrorMessage('ProdML: open a workspace folder with registered models first.')),
    'prodml.stopServer': () => server.stop(),
    'prodml.batchPredict': (uri?: vscode.Uri) => guarded(log, () => batchPredictCommand(deps, uri instanceof vscode.Uri ? uri : undefined)),
    'prodml.runs.refresh': () => runs.refresh(),
    'prodml.runs.openLog': (n) => guarded(log, () => runs.openLog(n)),
    'prodml.runPipeline': () =>
      runPipelineCommand(deps, () => {
        runs.refresh();
        models.refresh();
      }),
    'prodml.startTriggers': () => (root ? triggers.start(root, true) : undefined),
    'prodml.stopTriggers': () => triggers.stop(),
    'prodml.checkLeakage': () => guarded(log, () => checks.leakage()),
    'prodml.featureValue': () => guarded(log, () => checks.featureValue()),
    'prodml.checkLabels': () => guarded(log, () => checks.labels()),
    'prodml.tune': () => guarded(log, () => tuneCommand(deps, () => models.refresh())),
    'prodml.adviseServing': () => guarded(log, () => adviseServingCommand(deps)),
    'prodml.importModel': (uri?: vscode.Uri, model?: string) => guarded(log, () => importModelCommand(deps, () => models.refresh(), uri instanceof vscode.Uri ? uri : undefined, typeof model === 'string' ? model : undefined)),
    'prodml.addLabels': (uri?: vscode.Uri) =>
      guarded(log, () => addLabelsCommand(deps, (m) => void monitor.check(m, { quiet: true }), uri instanceof vscode.Uri ? uri : undefined)),
    'prodml.showMonitoring': (n?: { kind?: string; model?: { model?: string } }) =>
      guarded(log, () => monitor.show(n?.kind === 'model' && typeof n.model?.model === 'string' ? n.model.model : undefined)),
    'prodml.inferSchema': (uri?: vscode.Uri) => inferSchemaCommand(engine, log, uri instanceof vscode.Uri ? uri : undefined),
    'prodml.profileCompare': async (uri?: vscode.Uri) => {
      const data = await pickDataFile('Profile which dataset?', uri instanceof vscode.Uri ? uri : undefined, undefined, { datasets: true });
      if (!data) return;
      const other = await pickDataFile(`Compare ${vscode.workspace.asRelativePath(data)} with...`, undefined, data, { datasets: true });
      if (other) ProfilePanel.show(deps, data, other);
    },
    'prodml.validateDataset': (uri?: vscode.Uri) => guarded(log, () => validateDatasetCommand(deps, problems, uri instanceof vscode.Uri ? uri : undefined)),
  };
  // Every disposable is registered here, in one place.
  context.subscriptions.push(
    log,
    engine,
    problems,
    models,
    vscode.window.createTreeView('prodml.models', { treeDataProvider: models, dragAndDropController: models }),
    server,
    monitor,
    server.onDidChange((e) => monitor.watch(e.running)),
    runs,
    vscode.window.registerTreeDataProvider('prodml.runs', runs),
    checks,
    triggers,
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (root && vscode.workspace.getConfiguration('prodml').get('pipeline.startTriggers', true)) void triggers.start(root);
    }),
    ...Object.entries(commands).map(([id, run]) => vscode.commands.registerCommand(id, run)),
  );
  if (root && vscode.workspace.getConfiguration('prodml').get('pipeline.startTriggers', true)) void triggers.start(root);
  const client = startLanguageClient(context, log);
  context.subscriptions.push({ dispose: () => void client.stop() });
  log.info('ProdML activated');
}

export function deactivate(): void {}
