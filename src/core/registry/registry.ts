import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../project/atomicWrite';
import { badInput } from '../errors';
import { aliasAtTime, appendHistory, readAliases, readHistory, previousServed, repairAliases, writeAliases, type Aliases } from './aliases';
import { completeCard, currentUser, keyMetric } from './card';
import { syncDir, writeSourceDurable } from './durable';
import { ALIASES_FILE, CARD_FILE, checkAliasName, checkModelName, HISTORY_FILE, isVersionDirName, LAST_VERSION_FILE, REGISTRY_DIR, TEMP_PREFIX, TRASH_PREFIX } from './layout';
import { DEFAULT_LOCK_WAIT_MS, tidyLockLeftovers, withModelLock } from './lock';
import { parseVersionRef, type VersionRef } from './ref';
import { versionFilesOf, VERSION_FILES, type AliasChange, type AliasEvent, type CardInput, type GcResult, type ModelCard, type ModelSummary, type ModelVersion, type VersionFiles, type VersionSummary } from './types';

export interface RegistryOptions {
  /** How long a mutation waits for another process's lock before giving up. */
  lockWaitMs?: number;
}

export interface RollbackOptions {
  /** Roll back to this version. */
  to?: number;
  /** Roll back to the newest version whose training data ends before this instant. */
  before?: Date;
  alias?: string;
  reason?: string;
}

/** The registry of the workspace at `workspaceRoot`: `<workspaceRoot>/.prodml/registry`. */
export async function openRegistry(workspaceRoot: string, opts: RegistryOptions = {}): Promise<Registry> {
  const st = await fs.stat(workspaceRoot).catch(() => undefined);
  if (!st?.isDirectory()) throw badInput(workspaceRoot, 'is not a folder: give the workspace folder that holds .prodml/');
  return new Registry(path.join(path.resolve(workspaceRoot), REGISTRY_DIR), opts);
}

/**
 * Versions, lineage cards and aliases on disk. Reads take no lock: a version directory appears
 * whole by rename and aliases.json is replaced by rename, so a reader sees before or after.
 * Every change takes the model's lock (lock.ts) and first tidies what a killed writer left.
 */
export class Registry {
  private readonly lockWaitMs: number;

  constructor(
    readonly root: string,
    opts: RegistryOptions = {},
  ) {
    this.lockWaitMs = opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  }

  modelDir(model: string): string {
    checkModelName(model);
    return path.join(this.root, model);
  }

  /** Stores a new version and returns its number (one more than any number handed out before). */
  async saveVersion(model: string, files: VersionFiles, card: CardInput): Promise<number> {
    const dir = this.modelDir(model);
    const names = versionFilesOf(card.runtime);
    for (const name of names) {
      if (files[name] === undefined) throw badInput(undefined, `model '${model}': a version needs ${names.join(', ')}; ${name} is missing`);
    }
    completeCard(model, 1, card); // bad input fails here, before any lock or file
    return withModelLock(dir, 'saving a version', async (lock) => {
      await tidy(dir);
      await repairAliases(dir);
      const version = Math.max(0, ...(await versionNumbers(dir)), await readLastVersion(dir)) + 1;
      const full = completeCard(model, version, card);
      const tmp = path.join(dir, `${TEMP_PREFIX}${version}-${process.pid}-${randomBytes(4).toString('hex')}`);
      await fs.mkdir(tmp);
      try {
        for (const name of names) {
          await writeSourceDurable(path.join(tmp, name), files[name]!).catch((e: NodeJS.ErrnoException) => {
            const from = files[name];
            if (e.code === 'ENOENT' && typeof from === 'object' && 'path' in from) throw badInput(from.path, `not found (given as ${name} of model '${model}')`);
            throw e;
          });
        }
        await writeSourceDurable(path.join(tmp, CARD_FILE), JSON.stringify(full, null, 2) + '\n');
        await syncDir(tmp);
        await lock.assertHeld();
        // The commit: before this rename the version does not exist, after it it is whole.
        await fs.rename(tmp, path.join(dir, String(version)));
      } catch (e) {
        await fs.rm(tmp, { recursive: true, force: true });
        throw e;
      }
      await syncDir(dir);
      await writeFileAtomic(path.join(dir, LAST_VERSION_FILE), `${version}\n`);
      return version;
    }, this.lockWaitMs);
  }

  /** Models with at least one version or alias, by name. */
  async listModels(): Promise<ModelSummary[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const models: ModelSummary[] = [];
    for (const model of entries.sort()) {
      const dir = path.join(this.root, model);
      if (model.startsWith('.') || !(await fs.stat(dir).catch(() => undefined))?.isDirectory()) continue;
      const versions = await versionNumbers(dir);
      const aliases = await readAliases(dir);
      if (versions.length === 0 && Object.keys(aliases).length === 0) continue;
      models.push({ model, versions: versions.length, latest: versions[versions.length - 1], aliases });
    }
    return models;
  }

  /** Versions newest first, each with its aliases and the card's headline fields. */
  async listVersions(model: string): Promise<VersionSummary[]> {
    const dir = await this.requireModel(model);
    const aliases = await readAliases(dir);
    const out: VersionSummary[] = [];
    for (const version of (await versionNumbers(dir)).reverse()) {
      const card = await readCard(dir, version);
      if (!card) continue; // deleted while we listed
      out.push({
        version,
        aliases: aliasesOf(aliases, version),
        metrics: card.metrics,
        key_metric: keyMetric(card),
        blessed: card.blessed,
        created_at: card.created_at,
        user: card.user,
        backend: card.backend,
        runtime: card.runtime ?? 'tfjs',
        ...(card.onnx ? { producer: `${card.onnx.producer_name} ${card.onnx.producer_version}`.trim() } : {}),
        data_until: card.training_data.time_range?.max,
      });
    }
    return out;
  }

  /** A version by number, `latest`, or `@alias`. */
  async getVersion(model: string, ref: VersionRef | string): Promise<ModelVersion> {
    const dir = await this.requireModel(model);
    const parsed = parseVersionRef(ref);
    const aliases = await readAliases(dir);
    const versions = await versionNumbers(dir);
    let version: number;
    if (parsed === 'latest') {
      if (versions.length === 0) throw badInput(undefined, `model '${model}' has no versions left`);
      version = versions[versions.length - 1]!;
    } else if (typeof parsed === 'number') {
      version = parsed;
    } else {
      const alias = parsed.slice(1);
      const v = aliases[alias];
      if (v === undefined) throw badInput(undefined, `model '${model}' has no alias '${alias}' (${describeAliases(model, aliases)})`);
      version = v;
    }
    const card = versions.includes(version) ? await readCard(dir, version) : undefined;
    if (!card) {
      const what = typeof parsed === 'string' && parsed.startsWith('@') ? `alias '${parsed.slice(1)}' points at version ${version}, which` : `version ${version}`;
      throw badInput(undefined, `model '${model}': ${what} does not exist (versions: ${describeVersions(versions)})`);
    }
    const vdir = path.join(dir, String(version));
    return {
      model,
      version,
      dir: vdir,
      // Only the files this version's runtime has (tfjs: model.json + weights.bin; onnx: model.onnx).
      files: Object.fromEntries(versionFilesOf(card.runtime).map((f) => [f, path.join(vdir, f)])) as ModelVersion['files'],
      card,
      aliases: aliasesOf(aliases, version),
    };
  }

  async aliases(model: string): Promise<Aliases> {
    return readAliases(await this.requireModel(model));
  }

  /** Every alias change, oldest first. */
  async history(model: string): Promise<AliasEvent[]> {
    return readHistory(await this.requireModel(model));
  }

  /** Which version `alias` pointed at, at `time` (undefined: it was not set yet). */
  async aliasAt(model: string, alias: string, time: Date): Promise<number | undefined> {
    if (Number.isNaN(time.getTime())) throw badInput(undefined, 'aliasAt needs a valid time');
    return aliasAtTime(await readHistory(await this.requireModel(model)), alias, time);
  }

  /** Points `alias` at `version`. Pointing it where it already points changes and records nothing. */
  async promote(model: string, version: number, alias = 'production', reason?: string): Promise<AliasChange> {
    checkAliasName(alias);
    parseVersionRef(version);
    const dir = await this.requireModel(model);
    return withModelLock(dir, `promoting version ${version} to ${alias}`, async (lock) => {
      await tidy(dir);
      const aliases = await repairAliases(dir);
      await requireWhole(model, dir, version, `cannot make it ${alias}`);
      return setAlias(model, dir, aliases, alias, version, 'promote', reason ?? '', lock.assertHeld);
    }, this.lockWaitMs);
  }

  /**
   * Moves `production` back: by default to the version it served before the current one (a
   * second rollback goes one further back); `to` a given version; or, `before` a time, to the
   * newest version trained only on data that ends before it (polluted data arrived at that time).
   */
  async rollback(model: string, opts: RollbackOptions = {}): Promise<AliasChange> {
    const alias = opts.alias ?? 'production';
    checkAliasName(alias);
    if (opts.to !== undefined && opts.before !== undefined) throw badInput(undefined, 'roll back either to a version or to before a time, not both');
    if (opts.to !== undefined) parseVersionRef(opts.to);
    if (opts.before !== undefined && Number.isNaN(opts.before.getTime())) throw badInput(undefined, 'rollback needs a valid time for "before"');
    const dir = await this.requireModel(model);
    return withModelLock(dir, `rolling back ${alias}`, async (lock) => {
      await tidy(dir);
      const aliases = await repairAliases(dir);
      const current = aliases[alias];
      let target: number;
      let why: string;
      if (opts.to !== undefined) {
        target = opts.to;
        why = `rollback to version ${target}`;
      } else if (opts.before !== undefined) {
        const before = opts.before.toISOString();
        const versions = await versionNumbers(dir);
        const ends = new Map<number, string | undefined>();
        for (const v of versions) ends.set(v, (await readCard(dir, v))?.training_data.time_range?.max);
        const clean = versions.filter((v) => {
          const end = ends.get(v);
          return end !== undefined && Date.parse(end) < opts.before!.getTime();
        });
        if (clean.length === 0) {
          const undated = versions.filter((v) => ends.get(v) === undefined).length;
          const dated = versions.filter((v) => ends.get(v) !== undefined).map((v) => `${v}: ${ends.get(v)}`);
          throw badInput(
            undefined,
            `model '${model}' has no version trained only on data before ${before}` +
              (dated.length > 0 ? ` (training data ends at version ${dated.join(', ')})` : '') +
              (undated > 0 ? `; ${undated} version${undated === 1 ? ' has' : 's have'} no time range in its card` : ''),
          );
        }
        target = clean[clean.length - 1]!;
        why = `rollback to the newest version trained only on data before ${before} (its data ends ${ends.get(target)})`;
      } else {
        if (current === undefined) throw badInput(undefined, `model '${model}' has no ${alias} version to roll back (${describeAliases(model, aliases)})`);
        const history = await readHistory(dir);
        const previous = previousServed(history, alias, current);
        if (previous === undefined) {
          const served = new Set(history.filter((e) => e.alias === alias).map((e) => e.to));
          const why = served.size <= 1 ? `${alias} has only ever been version ${current}` : `every other version ${alias} has served was rolled back from`;
          throw badInput(undefined, `model '${model}': nothing to roll back to; ${why} (use --to <version>)`);
        }
        target = previous;
        why = `rollback from version ${current} to the previous ${alias} version ${target}`;
      }
      await requireWhole(model, dir, target, `cannot roll back ${alias} to it`);
      return setAlias(model, dir, aliases, alias, target, 'rollback', opts.reason ?? why, lock.assertHeld);
    }, this.lockWaitMs);
  }

  /**
   * Deletes all but the `keep` newest versions, except aliased ones and production's previous
   * version (the target of a plain rollback, which should keep working after a gc).
   */
  async gc(model: string, keep: number, opts: { dryRun?: boolean } = {}): Promise<GcResult> {
    if (!Number.isInteger(keep) || keep < 1) throw badInput(undefined, `gc keeps at least the newest version: keep must be a whole number from 1, got ${keep}`);
    const dir = await this.requireModel(model);
    return withModelLock(dir, 'collecting old versions', async (lock) => {
      await tidy(dir);
      const aliases = await repairAliases(dir);
      const rollbackTarget = previousServed(await readHistory(dir), 'production', aliases.production);
      const result: GcResult = { model, deleted: [], kept: [] };
      const newestFirst = (await versionNumbers(dir)).reverse();
      for (const [i, version] of newestFirst.entries()) {
        const held = aliasesOf(aliases, version);
        const why = [
          ...(i < keep ? [`one of the ${keep} newest`] : []),
          ...(held.length > 0 ? [`${held.length === 1 ? 'alias' : 'aliases'} ${held.join(', ')}`] : []),
          ...(version === rollbackTarget ? ['previous production version'] : []),
        ];
        if (why.length > 0) result.kept.push({ version, why: why.join('; ') });
        else result.deleted.push(version);
      }
      if (!opts.dryRun) {
        for (const version of result.deleted) {
          await lock.assertHeld();
          await removeVersionDir(dir, version);
        }
      }
      return result;
    }, this.lockWaitMs);
  }

  /** Deletes one version; an aliased version must lose its aliases first. */
  async deleteVersion(model: string, version: number): Promise<void> {
    parseVersionRef(version);
    const dir = await this.requireModel(model);
    await withModelLock(dir, `deleting version ${version}`, async (lock) => {
      await tidy(dir);
      const aliases = await repairAliases(dir);
      const versions = await versionNumbers(dir);
      if (!versions.includes(version)) throw badInput(undefined, `model '${model}' has no version ${version} (versions: ${describeVersions(versions)})`);
      const held = aliasesOf(aliases, version);
      if (held.length > 0) {
        throw badInput(undefined, `model '${model}': version ${version} is ${held.join(' and ')}; point ${held.length === 1 ? 'that alias' : 'those aliases'} at another version before deleting it`);
      }
      await lock.assertHeld();
      await removeVersionDir(dir, version);
    }, this.lockWaitMs);
  }

  private async requireModel(model: string): Promise<string> {
    const dir = this.modelDir(model);
    const known = (await versionNumbers(dir)).length > 0 || (await fs.stat(path.join(dir, ALIASES_FILE)).catch(() => undefined)) !== undefined || (await fs.stat(path.join(dir, HISTORY_FILE)).catch(() => undefined)) !== undefined;
    if (!known) {
      const models = (await this.listModels()).map((m) => m.model);
      throw badInput(undefined, `no model '${model}' in ${this.root} (${models.length > 0 ? `models: ${models.join(', ')}` : 'the registry is empty'})`);
    }
    return dir;
  }
}

async function setAlias(model: string, dir: string, aliases: Aliases, alias: string, to: number, action: AliasEvent['action'], reason: string, assertHeld: () => Promise<void>): Promise<AliasChange> {
  const from = aliases[alias] ?? null;
  if (from === to) return { model, alias, from, to, changed: false, reason };
  const event: AliasEvent = { at: new Date().toISOString(), user: currentUser(), alias, from, to, reason, action };
  await assertHeld();
  // History first: if we die before aliases.json is rewritten, the next change replays the event.
  await appendHistory(dir, event);
  await writeAliases(dir, { ...aliases, [alias]: to });
  await syncDir(dir);
  return { model, alias, from, to, changed: true, reason };
}

/** An alias may only point at a version that is whole on disk. */
async function requireWhole(model: string, dir: string, version: number, consequence: string): Promise<void> {
  const versions = await versionNumbers(dir);
  const vdir = path.join(dir, String(version));
  const missing: string[] = [];
  if (versions.includes(version)) {
    const runtime = (await readCard(dir, version).catch(() => undefined))?.runtime;
    for (const f of [...versionFilesOf(runtime), CARD_FILE]) {
      if (!(await fs.stat(path.join(vdir, f)).catch(() => undefined))?.isFile()) missing.push(f);
    }
  }
  if (!versions.includes(version)) throw badInput(undefined, `model '${model}' has no version ${version}; ${consequence} (versions: ${describeVersions(versions)})`);
  if (missing.length > 0) throw badInput(undefined, `model '${model}': version ${version} is missing ${missing.join(', ')}; ${consequence}`);
}

/** Removes what killed writers left: unfinished saves and deletions, write-file-atomic temp files. Call with the lock held. */
async function tidy(dir: string): Promise<void> {
  await tidyLockLeftovers(dir);
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith(TEMP_PREFIX) || name.startsWith(TRASH_PREFIX) || /^(aliases\.json|\.last-version)\.\d+$/.test(name)) {
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/** Renamed away first, so no reader ever sees a half-deleted version. */
async function removeVersionDir(dir: string, version: number): Promise<void> {
  const trash = path.join(dir, `${TRASH_PREFIX}${version}-${randomBytes(4).toString('hex')}`);
  await fs.rename(path.join(dir, String(version)), trash);
  await syncDir(dir);
  await fs.rm(trash, { recursive: true, force: true });
}

async function versionNumbers(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter(isVersionDirName).map(Number).sort((a, b) => a - b);
}

async function readLastVersion(dir: string): Promise<number> {
  const text = await fs.readFile(path.join(dir, LAST_VERSION_FILE), 'utf8').catch(() => '');
  const n = Number.parseInt(text, 10);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The card, or undefined when the version is gone. */
async function readCard(dir: string, version: number): Promise<ModelCard | undefined> {
  const file = path.join(dir, String(version), CARD_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as ModelCard;
  } catch (e) {
    throw badInput(file, `is not valid JSON (${(e as Error).message})`);
  }
}

function aliasesOf(aliases: Aliases, version: number): string[] {
  return Object.keys(aliases)
    .filter((a) => aliases[a] === version)
    .sort();
}

function describeAliases(model: string, aliases: Aliases): string {
  const set = Object.entries(aliases).map(([a, v]) => `${a} → ${v}`);
  return set.length > 0 ? `aliases: ${set.join(', ')}` : `no aliases yet; set one with: prodml models promote ${model}:<version>`;
}

/** `1-3, 5` */
export function describeVersions(versions: number[]): string {
  if (versions.length === 0) return 'none';
  const parts: string[] = [];
  let start = versions[0]!;
  let prev = start;
  for (const v of [...versions.slice(1), Number.NaN]) {
    if (v === prev + 1) {
      prev = v;
      continue;
    }
    parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = prev = v;
  }
  return parts.join(', ');
}
