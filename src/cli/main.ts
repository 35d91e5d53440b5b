/**
 * The `prodml` command. This file stays light: `--version` and `--help` load commander and the
 * command table only. Running a command loads src/cli/commands.ts (a bundle of its own,
 * dist/cli-commands.js) and registers that one command.
 */
import { Command } from 'commander';
import { COMMANDS, type CommandName } from './commandTable';
import { VERSION } from '../core/project/version';

export function baseProgram(): Command {
  return new Command()
    .name('prodml')
    .description('ProdML: profile, validate, train, register, serve and monitor models.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride((err) => {
      // Usage errors are bad input (exit 2), help and version are fine.
      process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2);
    });
}

export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = baseProgram();
  const wanted = COMMANDS.find((c) => c.name === argv[2]);
  if (!wanted) {
    // Help, version or a typo: list the commands without loading them.
    for (const c of COMMANDS) program.command(c.name).description(c.summary).allowUnknownOption().allowExcessArguments();
    return program;
  }
  const { registerCommand } = await import('./commands');
  registerCommand(program, wanted.name as CommandName);
  return program;
}

if (require.main === module) {
  void buildProgram(process.argv).then((p) => p.parseAsync(process.argv));
}
