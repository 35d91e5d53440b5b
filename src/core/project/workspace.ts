/**
 * The workspace a command works in: its root (found the way git finds a repository), prodml.yaml
 * loaded and checked once, and the `.prodml/` paths. Every operation in src/core/ops takes one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { loadProjectConfig, PROJECT_FILE, type ModelConfig, type ProjectConfig } from './config';
import { STATE_DIR, statePaths, type StatePaths } from './paths';

export interface Workspace {
  /** Absolute folder holding prodml.yaml and `.prodml/`. */
  readonly root: string;
  /** Where paths the user typed are resolved (the shell's folder for the CLI). */
  readonly cwd: string;
  /** prodml.yaml parsed and checked; undefined when the folder has none. */
  readonly project: ProjectConfig | undefined;
  readonly paths: StatePaths;
  /** Folders DuckDB may read besides the workspace and the folders of the data a request names. */
  readonly readable: readonly string[];
}

export interface OpenWorkspaceOptions {
  /** `--workspace <dir>`: taken as given, relative to `cwd`. */
  workspace?: string;
  cwd?: string;
  /** Fail (bad input) when no folder upward holds prodml.yaml or `.prodml/`; else the cwd serves. */
  require?: boolean;
  readable?: readonly string[];
}

/** The nearest folder from `start` upward that holds prodml.yaml or `.prodml/`, and every folder looked in. */
export function findWorkspaceRoot(start: string): { root?: string; looked: string[] } {
  const looked: string[] = [];
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    looked.push(dir);
    if (fs.existsSync(path.join(dir, PROJECT_FILE)) || fs.existsSync(path.join(dir, STATE_DIR))) return { root: dir, looked };
    if (path.dirname(dir) === dir) return { looked };
  }
}

export async function openWorkspace(opts: OpenWorkspaceOptions = {}): Promise<Workspace> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  let root: string;
  if (opts.workspace !== undefined) {
    root = path.resolve(cwd, opts.workspace);
    const st = fs.statSync(root, { throwIfNoEntry: false });
    if (!st?.isDirectory()) throw badInput(root, `is not a folder${st ? '' : ' (it does not exist)'}: --workspace takes the folder holding prodml.yaml or .prodml/`);
  } else {
    const found = findWorkspaceRoot(cwd);
    if (found.root) root = found.root;
    else if (opts.require) throw noWorkspace(cwd, found.looked);
    else root = cwd;
  }
  return { root, cwd, project: await loadProjectConfig(root), paths: statePaths(root), readable: opts.readable ?? [] };
}

function noWorkspace(cwd: string, looked: string[]): Error {
  const shown = looked.length > 4 ? [...looked.slice(0, 3), '…', looked[looked.length - 1]!] : looked;
  return badInput(undefined, `no ProdML workspace here: no ${PROJECT_FILE} (or ${STATE_DIR}/) in ${shown.join(', ')}; run inside one, pass --workspace <dir>, or create one with: prodml demo`);
}

/** prodml.yaml, or bad input saying it is needed for `what`. */
export function requireProject(ws: Workspace, what: string): ProjectConfig {
  if (!ws.project) throw badInput(path.join(ws.root, PROJECT_FILE), `does not exist; ${what} needs it`);
  return ws.project;
}

/** A prodml.yaml model by name, or the only one when no name is given; a clear message otherwise. */
export function modelConfig(project: ProjectConfig, name?: string): ModelConfig {
  if (project.models.length === 0) throw badInput(project.file, 'has no models: add a `models:` section (see the JSON Schema hover on the key)');
  const m = name ? project.models.find((x) => x.name === name) : project.models.length === 1 ? project.models[0] : undefined;
  if (!m) throw badInput(project.file, name ? `has no model "${name}" (models: ${project.models.map((x) => x.name).join(', ')})` : `has several models; name one: ${project.models.map((x) => x.name).join(', ')}`);
  return m;
}
