import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const CHILD = path.join(__dirname, 'registryChild.ts');

/** Starts registryChild.ts; `ready` resolves on its "ready" line, `lines` collects the others. */
export function startChild(args: string[]): { child: ChildProcess; ready: Promise<void>; lines: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.on('exit', (code) => {
    if (code) process.stderr.write(`registryChild ${args[0]} exited with ${code}: ${stderr}\n`);
  });
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const line of parts) {
        if (line === 'ready') resolve();
        else lines.push(line);
      }
    });
    child.on('exit', (code, signal) => reject(new Error(`child exited before ready (${code ?? signal}): ${stderr}`)));
  });
  return { child, ready, lines };
}
