import { loadProjectConfig } from './config';
import { formatRef, parseModelRef, type Registry } from '../registry';
import type { ModelVersion } from '../registry/types';

/**
 * The one version resolver: `m:3`, `m:latest` and `m@alias` as written. A bare `m` means, with
 * `bare: 'served'` (prediction, checks, serving advice), what serving answers with: its
 * `serving.alias` (default production), and before any promotion the newest version, with a
 * note saying so; with `bare: 'latest'` (evaluation), the newest version.
 */
export async function resolveVersion(root: string, registry: Registry, spec: string, opts: { bare?: 'served' | 'latest' } = {}): Promise<{ version: ModelVersion; note?: string }> {
  const { model, ref } = parseModelRef(spec, 'latest');
  if (spec.includes('@') || spec.includes(':') || opts.bare === 'latest') return { version: await registry.getVersion(model, ref) };
  const alias = (await loadProjectConfig(root).catch(() => undefined))?.models.find((m) => m.name === model)?.serving.alias ?? 'production';
  const aliases = await registry.aliases(model);
  const version = await registry.getVersion(model, aliases[alias] !== undefined ? `@${alias}` : 'latest');
  return aliases[alias] !== undefined ? { version } : { version, note: `${model} has no "${alias}" alias yet; using the latest version, ${formatRef(model, version.version)}` };
}
