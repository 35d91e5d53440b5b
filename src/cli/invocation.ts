/**
 * How to write a `prodml …` command so that it works when pasted: `npx prodml` inside this
 * repository (npm runs the package's own bin there), `prodml` once `npm link` put it on PATH,
 * else node with the path of this CLI.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The folder of ProdML's package.json, found upward from this file (dist/ or src/cli/). */
export function packageRoot(): string | undefined {
  for (let d = __dirname; ; d = path.dirname(d)) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name === 'prodml') return d;
    } catch {
      /* no package.json here */
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, name)));
}

/** The command that runs this CLI from `cwd`. */
export function prodmlCommand(cwd: string): string {
  const root = packageRoot();
  if (root && !path.relative(root, cwd).startsWith('..')) return 'npx prodml';
  if (onPath('prodml')) return 'prodml';
  return root ? `node ${path.join(root, 'dist', 'cli.js')}` : 'prodml';
}
