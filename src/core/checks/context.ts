/** What both checks start from: the project, the model's entry, a version to judge, and where things sit in prodml.yaml. */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { loadProjectConfig, PROJECT_FILE, type ModelConfig, type ProjectConfig } from '../project/config';
import { openRegistry } from '../registry';
import type { ModelVersion } from '../registry/types';
import { locateKey } from '../schema/io';
import { resolveVersion } from '../project/resolveVersion';
import { modelConfig } from '../project/workspace';
import type { YamlLocation } from './types';
import { statePaths } from '../project/paths';

export async function loadModelConfig(root: string, model: string | undefined): Promise<{ project: ProjectConfig; m: ModelConfig; yaml: string }> {
  const project = await loadProjectConfig(root);
  if (!project) throw badInput(path.join(root, PROJECT_FILE), 'not found: the checks read the model from prodml.yaml at the workspace root');
  const m = modelConfig(project, model);
  return { project, m, yaml: await fs.promises.readFile(project.file, 'utf8') };
}

/**
 * The version meant: a number, `latest`, an alias (with or without @); by default the one
 * serving answers with (its alias, else the newest, with a note).
 */
export async function versionToCheck(root: string, model: string, version: number | string | undefined): Promise<{ version: ModelVersion; note?: string }> {
  const registry = await openRegistry(root);
  if ((await registry.listModels()).every((s) => s.model !== model)) throw badInput(statePaths(root).registry, `has no versions of "${model}": train it first (prodml train ${model})`);
  if (version === undefined) return resolveVersion(root, registry, model);
  const v = String(version);
  return resolveVersion(root, registry, /^(\d+|latest)$/.test(v) ? `${model}:${v}` : `${model}@${v.replace(/^@/, '')}`);
}

/** A key's place in prodml.yaml, falling back to its nearest parent that exists. */
export function yamlLocation(file: string, yaml: string, keyPath: string[]): YamlLocation | undefined {
  const at = locateKey(yaml, keyPath);
  return at ? { file, line: at.line, column: at.column, path: keyPath } : undefined;
}

export function splitDescription(m: ModelConfig, seed: number): string {
  const kind = m.split.kind === 'random' ? 'random' : `by ${m.split.kind} on ${(m.split as { column: string }).column}`;
  return `${kind}, ${Math.round((m.split.eval_fraction ?? 0.2) * 100)}% held out, seed ${seed}`;
}
