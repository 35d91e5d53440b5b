import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { badInput, ProdmlError } from '../errors';
import { sqlString } from './duckdb';

export type DataFormat = 'csv' | 'tsv' | 'parquet' | 'json' | 'jsonl';

export const DATA_EXTENSIONS: Record<string, DataFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.parquet': 'parquet',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/** A data file (or glob of files) and the DuckDB table function that reads it. */
export interface DataSource {
  /** Absolute path or glob, as DuckDB reads it. */
  path: string;
  /** What we show people: the path as they gave it. */
  display: string;
  format: DataFormat;
  /** e.g. `read_csv('/abs/x.csv')`. */
  scan: string;
}

const isGlob = (p: string) => /[*?[]/.test(p);

export function formatOf(file: string): DataFormat | undefined {
  return DATA_EXTENSIONS[path.extname(file).toLowerCase()];
}

/**
 * Resolves a user-given path to a readable source, rejecting what DuckDB would misread or
 * report obscurely: a missing file, a directory, an empty or binary file, UTF-16 text.
 */
export async function openSource(given: string, cwd = process.cwd()): Promise<DataSource> {
  const abs = path.resolve(cwd, given);
  const format = formatOf(abs);
  if (!isGlob(abs) && (await fs.promises.stat(abs).catch(() => undefined))?.isDirectory()) {
    throw badInput(given, `is a directory; give a data file, or a glob such as "${path.join(given, '*.csv')}"`);
  }
  if (!format) {
    throw badInput(given, `unsupported file type "${path.extname(abs) || '(none)'}"; ProdML reads ${Object.keys(DATA_EXTENSIONS).join(', ')}`);
  }
  if (!isGlob(abs)) await checkFile(abs, given, format);
  return { path: abs, display: given, format, scan: scanExpression(abs, format) };
}

function scanExpression(abs: string, format: DataFormat): string {
  const p = sqlString(abs);
  switch (format) {
    case 'csv':
      return `read_csv(${p}, header = true)`;
    case 'tsv':
      return `read_csv(${p}, header = true, delim = '\t')`;
    case 'parquet':
      return `read_parquet(${p})`;
    case 'json':
      return `read_json_auto(${p})`;
    case 'jsonl':
      return `read_json_auto(${p}, format = 'newline_delimited')`;
  }
}

async function checkFile(abs: string, given: string, format: DataFormat): Promise<void> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(given, 'file not found');
    if (code === 'EACCES') throw badInput(given, 'permission denied');
    throw badInput(given, `cannot read: ${(e as Error).message}`);
  }
  if (st.isDirectory()) {
    throw badInput(given, `is a directory; give a data file, or a glob such as "${path.join(given, '*.csv')}"`);
  }
  if (!st.isFile()) throw badInput(given, 'is not a regular file');
  if (st.size === 0) throw badInput(given, 'is empty (0 bytes)');

  const head = Buffer.alloc(Math.min(st.size, 64 * 1024));
  const fh = await fs.promises.open(abs, 'r');
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  if (format === 'parquet') {
    if (head.subarray(0, 4).toString('latin1') !== 'PAR1') {
      throw badInput(given, 'is not a Parquet file (it does not start with the PAR1 magic bytes)');
    }
    return;
  }
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw badInput(given, 'is UTF-16 encoded; ProdML reads UTF-8 text, so re-save the file as UTF-8');
  }
  if (head.includes(0)) {
    throw badInput(given, `looks like a binary file, not ${format.toUpperCase()} text (it contains NUL bytes)`);
  }
}

/**
 * Turns a DuckDB reader error into one line naming the file, the line and the rule;
 * DuckDB's own text is a screenful of sniffer options.
 */
export async function explainReadError(e: unknown, source: DataSource): Promise<Error> {
  if (!(e instanceof Error) || e instanceof ProdmlError) return e as Error;
  const msg = e.message;
  const line = /CSV Error on Line: (\d+)/.exec(msg)?.[1];
  const at = line ? ` (line ${line})` : '';
  if (/Invalid unicode|not utf-8 encoded/i.test(msg)) {
    return badInput(source.display, `is not valid UTF-8 text${at}; re-save it as UTF-8`);
  }
  const cols = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(msg);
  if (cols) {
    return badInput(source.display, `line ${line ?? '?'} has ${cols[2]} fields but the header has ${cols[1]}`);
  }
  if (/Error when sniffing file/.test(msg)) {
    const ragged = source.format === 'csv' || source.format === 'tsv' ? await findRaggedLine(source) : undefined;
    if (ragged) return ragged;
    return badInput(source.display, 'could not detect the CSV layout (delimiter, quoting, header); is it really CSV?');
  }
  if (/No files found that match the pattern/.test(msg)) return badInput(source.display, 'no files match this path');
  if (/No magic bytes found|not a parquet file/i.test(msg)) return badInput(source.display, 'is not a valid Parquet file');
  if (/Malformed JSON/.test(msg)) {
    return badInput(source.display, `is not valid ${source.format === 'jsonl' ? 'JSON Lines' : 'JSON'}: ${firstLine(msg).replace(/^.*?Malformed JSON[^:]*: ?/, '')}`);
  }
  if (/Permission Error/.test(msg)) {
    return badInput(source.display, 'is outside the folders ProdML may read (the workspace and the files you named)');
  }
  return badInput(source.display, firstLine(msg).replace(/^[A-Za-z ]+Error: /, ''));
}

/** The first line whose field count differs from the header's: DuckDB's sniffer gives up on those. */
export async function findRaggedLine(source: DataSource): Promise<ProdmlError | undefined> {
  if (isGlob(source.path)) return undefined;
  const delim = source.format === 'tsv' ? '\t' : ',';
  const rl = readline.createInterface({ input: fs.createReadStream(source.path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let expected = -1;
  let n = 0;
  try {
    for await (const text of rl) {
      n++;
      if (text === '' ) continue;
      const fields = countFields(text, delim);
      if (expected < 0) expected = fields;
      else if (fields !== expected) {
        return badInput(source.display, `line ${n} has ${fields} fields but the header (line 1) has ${expected}`);
      }
      if (n > 200_000) break;
    }
  } finally {
    rl.close();
  }
  return undefined;
}

function countFields(line: string, delim: string): number {
  let inQuotes = false;
  let fields = 1;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === delim && !inQuotes) fields++;
  }
  return fields;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** The directory a path or glob reads from: what DuckDB must be allowed to read. */
export function readRoot(given: string, cwd = process.cwd()): string {
  const abs = path.resolve(cwd, given);
  if (!isGlob(abs)) return path.dirname(abs);
  const parts = abs.split(path.sep);
  const firstGlob = parts.findIndex((p) => isGlob(p));
  return parts.slice(0, firstGlob).join(path.sep) || path.sep;
}
