import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import * as ops from '../core/ops';
import { DEMO_SCHEMA } from '../core/ops/demo';
import { profileText } from './profileCommand';
import { action, withCancel } from './run';
import { packageRoot, prodmlCommand } from './invocation';

/**
 * The main job on the built-in demo (src/core/ops/demo.ts): generate the workspace, profile,
 * validate, train, serve, monitor and retrain, narrated here; then the next steps.
 */
export async function demoCommand(dir: string, opts: { seed: number; rowsPerMonth?: number; out?: (line: string) => void }): Promise<number> {
  const out = opts.out ?? ((s: string) => process.stdout.write(s + '\n'));
  const root = path.resolve(dir);
  const r = await withCancel({ bar: false }, (ctx) =>
    ops.demo({ root, cwd: process.cwd() }, { seed: opts.seed, ...(opts.rowsPerMonth !== undefined ? { rowsPerMonth: opts.rowsPerMonth } : {}) }, { ...ctx, say: out, profileSummary: profileText }),
  );
  out(nextSteps(r.root, r.report).join('\n'));
  return 0;
}

/** What to do next, as commands that work when pasted where the demo ran. */
function nextSteps(root: string, report: string): string[] {
  const cwd = process.cwd();
  const ws = path.relative(cwd, root) || '.';
  const cli = prodmlCommand(root);
  const inWs = (cmd: string) => (ws === '.' ? cmd : `cd ${ws} && ${cmd}`);
  const repo = packageRoot();
  const inRepo = repo !== undefined && !path.relative(repo, cwd).startsWith('..');
  // Outside the repository, npm --prefix runs its scripts there.
  const npmRun = (script: string) => (inRepo || !repo ? `npm run ${script}` : `npm --prefix ${repo} run ${script}`);
  const vsixFile = path.join(repo ?? cwd, 'prodml.vsix');
  const vsix = inRepo ? path.relative(cwd, vsixFile) : vsixFile;
  const build = existsSync(vsixFile) ? '' : `${npmRun('package')} && `;
  const editor = repo && root === path.join(repo, 'demo-workspace') ? npmRun('editor') : `${npmRun('editor')} -- --workspace ${root}`;
  return [
    '',
    'Next steps',
    `  The HTML profile report:   ${path.relative(cwd, report)}`,
    `  The monitor on the CLI:    ${inWs(`${cli} monitor baby_weight`)}`,
    `  A bad batch's problems:    ${inWs(`${cli} validate data/incoming/new-category.csv --schema ${DEMO_SCHEMA}`)}`,
    `  In VS Code:                ${build}code --install-extension ${vsix} && code ${ws}`,
    `  In VS Code in a browser:   ${editor}   (code-server on 127.0.0.1; no VS Code needed)`,
    '  Then open a file in data/incoming/ to see its anomalies inline and in the Problems panel, or the ProdML view for the models and runs.',
  ];
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description("Generate the demo workspace and run ProdML's main job on it")
    .argument('[dir]', 'where to generate the workspace', 'demo-workspace')
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 42)
    .action(action(demoCommand));
}
