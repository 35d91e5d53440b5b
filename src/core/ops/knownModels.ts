/** Models a command may name without training: the ones in prodml.yaml and the ones with a prediction log. */
import fs from 'node:fs';
import { badInput } from '../errors';
import type { Workspace } from '../project/workspace';

export async function knownModels(ws: Workspace): Promise<string[]> {
  const configured = ws.project?.models.map((m) => m.name) ?? [];
  const logged = (await fs.promises.readdir(ws.paths.logs, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
  return [...new Set([...configured, ...logged])].sort();
}

/** The model named (it must be known, unless `allowUnknown`), or the only one there is. */
export async function pickKnownModel(ws: Workspace, name: string | undefined, what: 'monitor' | 'advise on', opts: { allowUnknown?: boolean } = {}): Promise<string> {
  const known = await knownModels(ws);
  const where = ws.project?.file ?? (what === 'monitor' ? ws.paths.logs : ws.root);
  const none = 'no models in prodml.yaml and no prediction logs';
  if (name !== undefined) {
    if (!opts.allowUnknown && !known.includes(name)) {
      throw badInput(where, what === 'monitor' ? `has no model "${name}" to monitor (${known.length > 0 ? `models: ${known.join(', ')}` : none})` : `has no model "${name}" (${known.length > 0 ? `models: ${known.join(', ')}` : none})`);
    }
    return name;
  }
  if (known.length === 1) return known[0]!;
  if (what === 'monitor') {
    if (known.length === 0) throw badInput(ws.paths.logs, 'has no prediction logs and prodml.yaml names no models: serve or batch-predict a model first');
    throw badInput(where, `has several models; name one: ${known.join(', ')}`);
  }
  throw badInput(where, known.length === 0 ? 'has no model to advise on: name one' : `has several models (${known.join(', ')}): name one`);
}
