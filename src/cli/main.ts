import { Command } from 'commander';
import { profileCommand } from './profileCommand';
import { demoCommand } from './demoCommand';
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
import { registerExportCommand } from './exportCommand';
import { action } from './run';
import { VERSION } from '../core/version';

export function buildProgram(): Command {
  const program = new Command()
    .name('prodml')
    .description('ProdML: profile, validate, train, register, serve and monitor models.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride((err) => {
      // Usage errors are bad input (exit 2), help and version are fine.
      process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2);
    });

  program
    .command('profile')
    .description('Profile a dataset (CSV, TSV, Parquet, JSON, JSON Lines, or a glob of them)')
    .argument('<data>', 'data file or glob')
    .option('--compare <data>', 'a second dataset to overlay, e.g. serving vs training')
    .option('--json', 'print the profile as one JSON document')
    .option('--html <out.html>', 'write a self-contained HTML report')
    .action(action(profileCommand));

  program
    .command('demo')
    .description("Generate the demo workspace and run ProdML's main job on it")
    .argument('[dir]', 'where to generate the workspace', 'demo-workspace')
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 42)
    .action(action(demoCommand));

  registerSchemaCommand(program);
  registerValidateCommand(program);
  registerModelsCommand(program);
  registerTrainCommand(program);
  registerEvaluateCommand(program);
  registerMonitorCommand(program);
  registerServeCommand(program);
  registerPredictCommand(program);
  registerLabelsCommand(program);
  registerCheckCommand(program);
  registerRunCommand(program);
  registerTuneCommand(program);
  registerAdviseCommand(program);
  registerExportCommand(program);

  return program;
}

if (require.main === module) {
  void buildProgram().parseAsync(process.argv);
}
