import { loadProjectConfig } from '../project/config';
import { formatRef, parseModelRef, type Registry } from '../registry';
import type { ModelVersion } from '../registry/types';

/**
 * The version a model reference means for prediction: `m@alias` and `m:3` as written; a bare
 * `m` is what serving answers with (its `serving.alias`, default production), and before any
 * promotion the newest version, with a note saying so.
 */
export async function resolveServedVersion(root: string, registry: Registry, spec: string): Promise<{ version: ModelVersion; note?: string }> {
  const { model, ref } = parseModelRef(spec, 'latest');
  if (spec.includes('@') || spec.includes(':')) return { version: await registry.getVersion(model, ref) };
  const alias = (await loadProjectConfig(root).catch(() => undefined))?.models.find((m) => m.name === model)?.serving.alias ?? 'production';
  const aliases = await registry.aliases(model);
  const version = await registry.getVersion(model, aliases[alias] !== undefined ? `@${alias}` : 'latest');
  return aliases[alias] !== undefined ? { version } : { version, note: `${model} has no "${alias}" alias yet; using the latest version, ${formatRef(model, version.version)}` };
}
