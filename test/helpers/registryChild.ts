/**
 * A separate process working on a registry, for the crash and concurrency tests:
 *
 *   node --import tsx test/helpers/registryChild.ts save-forever <workspace> <model> <weight MiB>
 *     prints "ready", then saves versions with large weights until killed; each version becomes
 *     candidate, every third one production.
 *   node --import tsx test/helpers/registryChild.ts save <workspace> <model> <count> <writer>
 *     prints "ready", waits for a line on stdin, saves <count> small versions, prints each number.
 *   node --import tsx test/helpers/registryChild.ts promote <workspace> <model> <count> <writer> <versions>
 *     prints "ready", waits for a line on stdin, promotes random versions of <versions> (1,2,3)
 *     <count> times, printing each change as a JSON line.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openRegistry } from '../../src/core/registry';
import { fakeVersion } from './registryFixtures';

async function main(): Promise<void> {
  const [mode, workspace, model, ...args] = process.argv.slice(2);
  if (!mode || !workspace || !model) throw new Error('usage: registryChild.ts <mode> <workspace> <model> ...');
  const registry = await openRegistry(workspace);
  const say = (line: string) => process.stdout.write(line + '\n');
  const go = async () => {
    say('ready');
    await once(process.stdin, 'data');
  };

  if (mode === 'save-forever') {
    const weights = randomBytes(Number(args[0]) * 1024 * 1024);
    say('ready');
    for (let i = 0; ; i++) {
      weights.writeUInt32LE(i, 0);
      weights.writeUInt32LE(process.pid, 4);
      const v = fakeVersion(weights);
      const version = await registry.saveVersion(model, v.files, v.card);
      await registry.promote(model, version, 'candidate', `saved by ${process.pid}`);
      if (version % 3 === 0) await registry.promote(model, version, 'production', `saved by ${process.pid}`);
      say(`saved ${version}`);
    }
  }

  if (mode === 'save') {
    const [count, writer] = args;
    await go();
    for (let i = 0; i < Number(count); i++) {
      const v = fakeVersion(randomBytes(4096), { params: { writer, i } });
      say(String(await registry.saveVersion(model, v.files, v.card)));
    }
    return;
  }

  if (mode === 'promote') {
    const [count, writer, versions] = args;
    const choices = versions!.split(',').map(Number);
    await go();
    for (let i = 0; i < Number(count); i++) {
      const to = choices[Math.floor(Math.random() * choices.length)]!;
      say(JSON.stringify(await registry.promote(model, to, 'production', `${writer}-${i}`)));
    }
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
