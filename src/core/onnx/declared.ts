/**
 * A prodml.yaml model with `source: {onnx: file}`: `prodml train` and the pipeline's train step
 * import the file as a new version when its content changed since the newest version, through the
 * same import as `prodml models import` (the model's dataset, task, label, features and validation
 * come from prodml.yaml). An unchanged file registers nothing; its newest version is re-checked.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import type { ModelConfig } from '../project/config';
import { openRegistry } from '../registry';
import { importOnnx, type ImportOnnxResult } from './importOnnx';

export interface DeclaredImport {
  result: ImportOnnxResult;
  file_hash: string;
  /** False when the file was unchanged since the newest version: nothing was registered. */
  registered: boolean;
}

export async function importDeclaredOnnx(
  root: string,
  m: ModelConfig & { source: { onnx: string } },
  opts: { signal?: AbortSignal; onProgress?: (p: { phase: 'loading' | 'evaluating' | 'registering'; message: string }) => void } = {},
): Promise<DeclaredImport> {
  const file = path.resolve(root, m.source.onnx);
  const bytes = await fs.promises.readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw badInput(path.join(root, 'prodml.yaml'), `models.${m.name}.source.onnx: ${m.source.onnx} ${e.code === 'ENOENT' ? 'does not exist' : `cannot be read (${e.message})`}`);
  });
  const hash = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
  const registry = await openRegistry(root);
  const newest = await registry.getVersion(m.name, 'latest').catch(() => undefined);
  const unchanged = newest?.card.onnx?.file_hash === hash ? newest.version : undefined;
  const say = (phase: 'loading' | 'evaluating' | 'registering', message: string) => opts.onProgress?.({ phase, message });
  say('loading', unchanged !== undefined ? `${m.source.onnx} is unchanged since version ${unchanged}: checking it again, registering nothing` : `Importing ${m.source.onnx}`);
  const r = await importOnnx(
    root,
    { file, model: m.name, task: m.task, label: m.label, dataset: m.dataset.name },
    { ...(opts.signal ? { signal: opts.signal } : {}), progress: (message) => say(message.startsWith('Registering') ? 'registering' : 'evaluating', message), ...(unchanged !== undefined ? { existing: unchanged } : {}) },
  );
  return { result: r, file_hash: hash, registered: unchanged === undefined };
}
