import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../project/atomicWrite';
import { badInput } from '../errors';
import { appendLineDurable } from './durable';
import { ALIASES_FILE, HISTORY_FILE } from './layout';
import type { AliasEvent } from './types';

/**
 * aliases.json and alias-history.jsonl. The history is the record of truth: a promotion appends
 * its event (fsync) and then rewrites aliases.json. A kill between the two leaves the event
 * without its effect; the next locked operation on the model replays it (`repairAliases`).
 */

export type Aliases = Record<string, number>;

export async function readAliases(modelDir: string): Promise<Aliases> {
  const file = path.join(modelDir, ALIASES_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw badInput(file, `is not valid JSON (${(e as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badInput(file, 'must be an object mapping alias names to version numbers');
  const aliases: Aliases = {};
  for (const [alias, v] of Object.entries(parsed)) {
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw badInput(file, `alias '${alias}' must point at a version number, got ${JSON.stringify(v)}`);
    aliases[alias] = v as number;
  }
  return aliases;
}

export async function writeAliases(modelDir: string, aliases: Aliases): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(aliases).sort(([a], [b]) => a.localeCompare(b)));
  await writeFileAtomic(path.join(modelDir, ALIASES_FILE), JSON.stringify(sorted, null, 2) + '\n');
}

/** All events, oldest first. An unparseable last line is a write cut short, not an event. */
export async function readHistory(modelDir: string): Promise<AliasEvent[]> {
  const file = path.join(modelDir, HISTORY_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  const events: AliasEvent[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const e = parseEvent(line);
    if (e) events.push(e);
    else if (i < lines.length - 1) throw badInput(file, `line ${i + 1} is not an alias event (JSON with at, alias, from, to)`);
  });
  return events;
}

function parseEvent(line: string): AliasEvent | undefined {
  try {
    const e = JSON.parse(line) as AliasEvent;
    return typeof e.alias === 'string' && Number.isSafeInteger(e.to) && typeof e.at === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

export async function appendHistory(modelDir: string, event: AliasEvent): Promise<void> {
  const file = path.join(modelDir, HISTORY_FILE);
  await sealLastLine(file);
  await appendLineDurable(file, JSON.stringify(event));
}

/**
 * Makes the next append start on a line of its own. An unterminated last line is either an
 * event someone edited by hand (kept: terminated) or a write cut short by power loss (dropped).
 */
async function sealLastLine(file: string): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (text.length === 0 || text.endsWith('\n')) return;
  const start = text.lastIndexOf('\n') + 1;
  if (parseEvent(text.slice(start))) await fs.appendFile(file, '\n');
  else await fs.truncate(file, Buffer.byteLength(text.slice(0, start)));
}

/** The aliases the history says, over those aliases.json says. Call with the model lock held. */
export async function repairAliases(modelDir: string): Promise<Aliases> {
  const onDisk = await readAliases(modelDir);
  const replayed: Aliases = { ...onDisk };
  for (const e of await readHistory(modelDir)) replayed[e.alias] = e.to;
  const same = Object.keys(replayed).length === Object.keys(onDisk).length && Object.entries(replayed).every(([a, v]) => onDisk[a] === v);
  if (!same) await writeAliases(modelDir, replayed);
  return replayed;
}

/**
 * The version `alias` pointed at, at `time`; undefined before the alias was first set. The last
 * event in file order at or before `time` wins: file order is the order the lock granted, which
 * stays right even if the clock was stepped back between two events.
 */
export function aliasAtTime(history: AliasEvent[], alias: string, time: Date): number | undefined {
  let at: number | undefined;
  for (const e of history) {
    if (e.alias === alias && Date.parse(e.at) <= time.getTime()) at = e.to;
  }
  return at;
}

/**
 * The versions `alias` served, as a stack whose top is the current one. A promotion pushes; a
 * rollback pops back to its target, so rolling back twice walks back two steps instead of
 * returning to the version the first rollback left.
 */
export function servedStack(history: AliasEvent[], alias: string): number[] {
  const stack: number[] = [];
  for (const e of history) {
    if (e.alias !== alias) continue;
    if (e.action === 'rollback') {
      const i = stack.lastIndexOf(e.to);
      if (i >= 0) stack.length = i + 1;
      else {
        stack.pop();
        stack.push(e.to);
      }
    } else if (stack[stack.length - 1] !== e.to) {
      stack.push(e.to);
    }
  }
  return stack;
}

/** The version `alias` served before `current`: where a plain rollback goes. */
export function previousServed(history: AliasEvent[], alias: string, current: number | undefined): number | undefined {
  const stack = servedStack(history, alias);
  while (stack.length > 0 && stack[stack.length - 1] === current) stack.pop();
  return stack.pop();
}
