/** Registers one command on the program: the heavy half of the CLI, loaded only to run a command. */
import type { Command } from 'commander';
import type { CommandName } from './commandTable';
import { registerProfileCommand } from './profileCommand';
import { registerDemoCommand } from './demoCommand';
import { registerSchemaCommand } from './schemaCommand';
import { registerValidateCommand } from './validateCommand';
import { registerModelsCommand } from './modelsCommand';
import { registerTrainCommand } from './trainCommand';
import { registerEvaluateCommand } from './evaluateCommand';
import { registerMonitorCommand } from './monitorCommand';
import { registerServeCommand } from './serveCommand';
import { registerPredictCommand } from './predictCommand';
import { registerLabelsCommand } from './labelsCommand';
import { registerCheckCommand } from './checkCommand';
import { registerRunCommand } from './runCommand';
import { registerTuneCommand } from './tuneCommand';
import { registerAdviseCommand } from './adviseCommand';
import { registerLogsCommand } from './logsCommand';

const REGISTRARS: Record<CommandName, (program: Command) => void> = {
  profile: registerProfileCommand,
  demo: registerDemoCommand,
  schema: registerSchemaCommand,
  validate: registerValidateCommand,
  models: registerModelsCommand,
  train: registerTrainCommand,
  evaluate: registerEvaluateCommand,
  monitor: registerMonitorCommand,
  serve: registerServeCommand,
  predict: registerPredictCommand,
  labels: registerLabelsCommand,
  logs: registerLogsCommand,
  check: registerCheckCommand,
  run: registerRunCommand,
  tune: registerTuneCommand,
  advise: registerAdviseCommand,
};

export function registerCommand(program: Command, name: CommandName): void {
  REGISTRARS[name](program);
}
