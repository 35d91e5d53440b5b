/**
 * prodml.yaml, the project file at the workspace root. This module reads its `datasets:` section:
 * which files belong to a dataset, the schema that governs them, the environment they come from
 * and the baseline they are compared with (drift: the previous span; skew: training data).
 */
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { parseDocument } from 'yaml';
import { badInput } from '../errors';

export const PROJECT_FILE = 'prodml.yaml';

export interface DatasetConfig {
  name: string;
  /** Globs relative to the workspace root. */
  path: string[];
  /** Schema file relative to the workspace root. */
  schema?: string;
  /** TRAINING (default) or SERVING. */
  environment?: string;
  /** Data to compare with: drift for training-like data, skew when `environment` is SERVING. */
  baseline?: string;
  label?: string;
  time_column?: string;
}

export interface ProjectConfig {
  root: string;
  file: string;
  datasets: DatasetConfig[];
}

/** Reads `<root>/prodml.yaml`; undefined when there is none. Throws a ProdmlError naming the problem. */
export async function loadProjectConfig(root: string): Promise<ProjectConfig | undefined> {
  const file = path.join(root, PROJECT_FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseProjectConfig(text, root);
}

export function parseProjectConfig(text: string, root: string): ProjectConfig {
  const file = path.join(root, PROJECT_FILE);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw badInput(file, `invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const raw = (doc.toJS() ?? {}) as { datasets?: Record<string, Record<string, unknown>> };
  const datasets: DatasetConfig[] = [];
  for (const [name, d] of Object.entries(raw.datasets ?? {})) {
    if (!d || typeof d !== 'object') throw badInput(file, `datasets.${name} must be a map`);
    const paths = Array.isArray(d['path']) ? d['path'] : d['path'] !== undefined ? [d['path']] : [];
    if (paths.length === 0 || paths.some((p) => typeof p !== 'string')) throw badInput(file, `datasets.${name}.path must be a glob or a list of globs`);
    const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
    datasets.push({
      name,
      path: paths as string[],
      schema: str('schema'),
      environment: str('environment'),
      baseline: str('baseline'),
      label: str('label'),
      time_column: str('time_column'),
    });
  }
  return { root, file, datasets };
}

export interface Governance {
  schemaFile: string;
  dataset?: DatasetConfig;
  environment?: string;
  /** Absolute glob of the baseline data. */
  baseline?: string;
}

/**
 * The schema that governs a data file: `x.schema.yaml` beside `x.csv`, else the schema of the
 * prodml.yaml dataset whose path matches the file.
 */
export async function governingSchema(dataFile: string, root: string | undefined, config?: ProjectConfig): Promise<Governance | undefined> {
  const beside = path.join(path.dirname(dataFile), `${path.basename(dataFile).replace(/\.[^.]+$/, '')}.schema.yaml`);
  if (fs.existsSync(beside)) return { schemaFile: beside };
  if (!root) return undefined;
  const cfg = config ?? (await loadProjectConfig(root));
  const rel = path.relative(root, dataFile).split(path.sep).join('/');
  for (const d of cfg?.datasets ?? []) {
    if (!d.schema || !d.path.some((g) => picomatch.isMatch(rel, g.replace(/^\.\//, '')))) continue;
    return {
      schemaFile: path.resolve(root, d.schema),
      dataset: d,
      environment: d.environment,
      baseline: d.baseline ? path.resolve(root, d.baseline) : undefined,
    };
  }
  return undefined;
}

/** The files of every dataset (matching `only`), found by walking each glob's fixed directory. */
export async function datasetFiles(root: string, config: ProjectConfig | undefined, only: RegExp = /./): Promise<string[]> {
  const out = new Set<string>();
  for (const d of config?.datasets ?? []) {
    for (const glob of d.path) {
      const pattern = glob.replace(/^\.\//, '');
      const fixed = pattern.split('/').filter((_, i, parts) => !parts.slice(0, i + 1).some((p) => /[*?[{]/.test(p)));
      const isMatch = picomatch(pattern);
      for (const file of await walk(path.join(root, ...fixed), 6)) {
        const rel = path.relative(root, file).split(path.sep).join('/');
        if (only.test(file) && isMatch(rel)) out.add(file);
      }
    }
  }
  return [...out].sort();
}

async function walk(dir: string, depth: number): Promise<string[]> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isFile()) files.push(p);
    else if (e.isDirectory() && depth > 0 && !e.name.startsWith('.') && e.name !== 'node_modules') files.push(...(await walk(p, depth - 1)));
  }
  return files;
}
