import type { Command } from 'commander';
import * as ops from '../core/ops';
import { badInput } from '../core/ops/format';
import type { ServerEvent } from '../core/ops/types';
import { action, workspaceOf, workspaceOption } from './run';

export function registerServeCommand(program: Command): void {
  workspaceOption(
    program
    .command('serve')
    .description('Serve registered models over the TensorFlow-Serving REST API; follows promotions and rollbacks')
    .option('--port <n>', 'port (default: prodml.yaml serving.port, else 8501; 0 picks a free one)')
    .option('--host <host>', 'address to bind (default: prodml.yaml serving.host, else 127.0.0.1)')
    .option('--model <model...>', 'serve only these models (default: every prodml.yaml model with a version)')
    .option('--json', 'print one JSON line per event on stdout: listening, swapped, error'),
  ).action(action(serveCommand));
}

export async function serveCommand(opts: { port?: string; host?: string; model?: string[]; workspace?: string; json?: boolean }): Promise<number> {
  let port: number | undefined;
  if (opts.port !== undefined) {
    port = Number(opts.port);
    if (!/^\d+$/.test(opts.port) || port > 65535) throw badInput(undefined, `--port must be a number from 0 to 65535, got "${opts.port}"`);
  }
  const print = (e: ServerEvent) => {
    if (opts.json) {
      process.stdout.write(JSON.stringify(e) + '\n');
      return;
    }
    if (e.event === 'listening') {
      process.stdout.write(`ProdML serving ${e.models.map((m) => `${m.model}:${m.version}`).join(', ')} at ${e.url}\n`);
      for (const m of e.models) {
        if (m.canary) process.stdout.write(`  ${m.model}: canary ${m.canary.percent}% to version ${m.canary.version} (${m.canary.alias})\n`);
        if (m.shadow) process.stdout.write(`  ${m.model}: shadow version ${m.shadow.version} (${m.shadow.alias})\n`);
      }
      process.stdout.write(`  POST ${e.url}/v1/models/${e.models[0]!.model}:predict  {"instances": [{...}]}   ·   GET ${e.url}/metrics   ·   Ctrl+C stops\n`);
    } else if (e.event === 'swapped') {
      const what = e.route === 'primary' ? `${e.alias}` : `${e.route} (${e.alias})`;
      process.stdout.write(`${e.model}: ${what} now ${e.to === null ? 'off' : `version ${e.to}`} (was ${e.from === null ? 'off' : `version ${e.from}`})\n`);
    } else process.stderr.write(`prodml: ${e.model}: ${e.message}\n`);
  };
  const server = await ops.serve(await workspaceOf(opts), {
    ...(port !== undefined ? { port } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.model?.length ? { models: opts.model } : {}),
    onEvent: print,
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // Finishes requests in flight and writes the queued log lines before exiting.
      void server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  if (opts.json) process.stdout.write(JSON.stringify({ event: 'closed', ...server.metrics().log }) + '\n');
  else process.stdout.write(`stopped; ${server.metrics().log.written} prediction log lines written\n`);
  return 0;
}
