/**
 * Where records start in a text data file. DuckDB numbers a reject by "line" without counting
 * newlines inside quoted fields, and gives no line at all for rows it read; a row-level
 * anomaly needs the line a person sees in the editor. One streamed pass over the file gives
 * both numberings for every record, in a few bytes per record.
 */
import fs from 'node:fs';
import readline from 'node:readline';

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

export interface RecordIndex {
  /** Records in file order, blank lines skipped; record 0 is the header of a CSV. */
  count: number;
  /** 1-based physical line where record i starts. */
  startLine: Uint32Array;
  /** DuckDB's line number of record i: its physical line minus newlines inside earlier quoted fields. */
  duckLine: Uint32Array;
}

export interface IndexOptions {
  /** Single-byte delimiter of a CSV; omit for JSON Lines (one record per non-blank line). */
  delimiter?: string;
}

/**
 * Indexes the records of a CSV/TSV (RFC 4180 quoting: a quote opens a quoted field only at the
 * field's start, "" inside is a literal quote) or of a JSON Lines file. Blank lines are skipped,
 * as DuckDB skips them.
 */
export async function indexRecords(file: string, opts: IndexOptions = {}): Promise<RecordIndex> {
  const delim = opts.delimiter === undefined ? -1 : opts.delimiter.charCodeAt(0);
  const csv = delim >= 0;
  let start = new Uint32Array(1024);
  let duck = new Uint32Array(1024);
  let count = 0;
  let line = 1;
  let quotedNewlines = 0;
  // States: 0 record start, 1 field start, 2 unquoted, 3 quoted, 4 just after a quote in a quoted field.
  let state = 0;
  let recordLine = 0;
  let recordDuckLine = 0;
  const push = () => {
    if (count === start.length) {
      const grow = (a: Uint32Array) => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      start = grow(start);
      duck = grow(duck);
    }
    start[count] = recordLine;
    duck[count] = recordDuckLine;
    count++;
  };
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (state === 0) {
        if (b === NL) {
          line++;
          continue;
        }
        if (b === CR) continue;
        recordLine = line;
        recordDuckLine = line - quotedNewlines;
        push();
        state = 1;
      }
      if (b === NL) {
        line++;
        if (state === 3) quotedNewlines++;
        else state = 0;
        continue;
      }
      if (!csv) continue;
      switch (state) {
        case 1:
          state = b === QUOTE ? 3 : b === delim ? 1 : 2;
          break;
        case 2:
          if (b === delim) state = 1;
          break;
        case 3:
          if (b === QUOTE) state = 4;
          break;
        case 4:
          state = b === QUOTE ? 3 : b === delim ? 1 : 2;
          break;
      }
    }
  }
  return { count, startLine: start.subarray(0, count), duckLine: duck.subarray(0, count) };
}

/** The record whose DuckDB line number is `duckLine` (binary search), or -1. */
export function recordAtDuckLine(index: RecordIndex, duckLine: number): number {
  let lo = 0;
  let hi = index.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = index.duckLine[mid]!;
    if (v === duckLine) return mid;
    if (v < duckLine) lo = mid + 1;
    else hi = mid - 1;
  }
  // DuckDB counts a blank line before a record as the record's own line.
  return lo < index.count ? lo : -1;
}

/** Splits one CSV line into fields with their [start, end) character offsets (quotes included). */
export function splitCsvLine(text: string, delimiter: string): Array<{ value: string; start: number; end: number }> {
  const out: Array<{ value: string; start: number; end: number }> = [];
  let i = 0;
  for (;;) {
    const start = i;
    let value = '';
    if (text[i] === '"') {
      i++;
      for (; i < text.length; i++) {
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i++;
          } else {
            i++;
            break;
          }
        } else value += text[i];
      }
      while (i < text.length && text[i] !== delimiter) value += text[i++];
    } else {
      while (i < text.length && text[i] !== delimiter) value += text[i++];
    }
    out.push({ value: value.replace(/\r$/, ''), start, end: i });
    if (i >= text.length) return out;
    i++;
  }
}

/** The text of the given 1-based lines, read in one pass that stops after the last one. */
export async function readLines(file: string, wanted: Iterable<number>): Promise<Map<number, string>> {
  const want = new Set(wanted);
  const out = new Map<number, string>();
  if (want.size === 0) return out;
  const last = Math.max(...want);
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of rl) {
      n++;
      if (want.has(n)) out.set(n, text);
      if (n >= last) break;
    }
  } finally {
    rl.close();
  }
  return out;
}

/** The header of a CSV/TSV (its first line) and the delimiter it uses. */
export async function readCsvHeader(file: string, format: 'csv' | 'tsv'): Promise<{ names: string[]; delimiter: string }> {
  const fh = await fs.promises.open(file, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    text = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    await fh.close();
  }
  const first = text.split('\n')[0] ?? '';
  let delimiter = format === 'tsv' ? '\t' : ',';
  if (format === 'csv') {
    // Files named .csv are sometimes ';' or '|' separated; the header tells which.
    const counts = [',', ';', '\t', '|'].map((d) => [d, splitCsvLine(first, d).length] as const);
    delimiter = counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
  }
  return { names: splitCsvLine(first, delimiter).map((f) => f.value.trim()), delimiter };
}
