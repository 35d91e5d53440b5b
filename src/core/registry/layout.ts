import path from 'node:path';
import { badInput } from '../errors';

/**
 * Where things live under `<workspace>/.prodml/registry/<model>/`. A version is exactly a
 * directory named by its number: it only ever appears by the rename that ends a save, so every
 * such directory is complete. Everything else in the model directory starts with a dot or is one
 * of the two alias files, and listings ignore it.
 */
export { REGISTRY_DIR } from '../project/paths';
export const ALIASES_FILE = 'aliases.json';
export const HISTORY_FILE = 'alias-history.jsonl';
export const CARD_FILE = 'card.json';
/** Highest version ever assigned, so a deleted newest version's number is not handed out again. */
export const LAST_VERSION_FILE = '.last-version';
/** A save in progress (or killed mid-way): `.tmp-<version>-<pid>-<random>`. */
export const TEMP_PREFIX = '.tmp-';
/** A version being deleted: renamed here first so a half-deleted version is never visible. */
export const TRASH_PREFIX = '.trash-';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const VERSION_DIR = /^[1-9][0-9]*$/;

/** Model names become directory names and appear in `model:3` / `model@alias` references. */
export function checkModelName(model: string): void {
  if (!MODEL_NAME.test(model) || model.includes('..')) {
    throw badInput(undefined, `'${model}' is not a valid model name: use letters, digits, '.', '_' and '-', starting with a letter or digit`);
  }
}

export function checkAliasName(alias: string): void {
  if (!ALIAS_NAME.test(alias) || alias === 'latest') {
    throw badInput(undefined, `'${alias}' is not a valid alias: use letters, digits, '_' and '-', starting with a letter ('latest' is reserved)`);
  }
}

export function isVersionDirName(name: string): boolean {
  return VERSION_DIR.test(name) && Number.isSafeInteger(Number(name));
}
