import fs from 'node:fs/promises';
import path from 'node:path';
import { DEMO_SCHEMA, prepareDemoWorkspace } from '../core/demo/prepare';
import { profileHtml } from '../core/report/profileHtml';
import { profileText, runProfile } from './profileCommand';
import { progressBar } from './progress';

/**
 * The main job on the built-in demo: generate the workspace, then profile the training data
 * against a serving batch whose distribution shifted. Later steps (validate, train, register,
 * serve, monitor) join here as they land.
 */
export async function demoCommand(dir: string, opts: { seed: number }): Promise<number> {
  const root = path.resolve(dir);
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`Generating the demo workspace in ${root} (seed ${opts.seed})`);
  await prepareDemoWorkspace(root, { seed: opts.seed });
  out(`Inferred ${DEMO_SCHEMA} from the training batches`);

  const train = path.join(root, 'data/train/*.csv');
  const shifted = path.join(root, 'data/incoming/shifted-distribution.csv');
  out(`\nProfiling ${path.relative(process.cwd(), train)} against ${path.relative(process.cwd(), shifted)}`);
  const bar = progressBar();
  let result;
  try {
    result = await runProfile(path.relative(process.cwd(), train), { compare: path.relative(process.cwd(), shifted) }, bar.update);
  } finally {
    bar.stop();
  }
  out(profileText(result));

  const report = path.join(root, '.prodml/reports/profile.html');
  await fs.mkdir(path.dirname(report), { recursive: true });
  await fs.writeFile(report, await profileHtml(result));
  out(`HTML report: ${report}`);
  out(`Open it in a browser, or open the workspace in VS Code:  code ${path.relative(process.cwd(), root) || '.'}`);
  out('Then run "ProdML: Profile Dataset" from the command palette, or right-click a data file in the explorer.');
  return 0;
}
