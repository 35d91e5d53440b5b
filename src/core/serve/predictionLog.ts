/**
 * The prediction log writer for one model: `.prodml/logs/<model>/predictions-YYYY-MM-DD-<n>.jsonl`
 * (logTypes.ts). A response never waits for it: `append` only queues lines in memory, a timer
 * writes the queue in the background, and when the queue is over its byte budget new lines are
 * counted as dropped instead of growing memory without bound.
 *
 * Crash safety: every line is whole in memory before it is written, and a batch goes to the file
 * in one write() on an O_APPEND descriptor, so a kill -9 can cut at most the last line of the
 * batch being written. On reopen a file that does not end in a newline gets one first, so that
 * torn line stays a line of its own, which DuckDB's read_json(..., ignore_errors=true) skips.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PREDICTIONS_PREFIX } from './logTypes';

const NEWLINE = Buffer.from('\n');

/** A log line: its JSON text, or an object whose toString() gives it when the batch is written. */
export type LogLine = string | { toString(): string };

export interface PredictionLogOptions {
  /** The model's log folder, `.prodml/logs/<model>`. */
  dir: string;
  /** Start a new file once the current one would grow past this. */
  maxFileBytes: number;
  /** Queued bytes beyond which lines are dropped (counted) rather than queued. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** How long lines wait to be batched with others. Default 10 ms. */
  flushDelayMs?: number;
}

export interface PredictionLogStats {
  written: number;
  dropped: number;
  queued: number;
  files: number;
  lastError?: string;
}

interface OpenFile {
  day: string;
  n: number;
  file: string;
  handle: fs.FileHandle;
  size: number;
  /** The file ends in a torn line: write a newline before the next line. */
  needsNewline: boolean;
}

export class PredictionLog {
  private queue: { day: string; lines: LogLine[] }[] = [];
  /** Bytes a not-yet-formatted line is counted as, from the lines written so far. */
  private averageLine = 256;
  private queuedBytes = 0;
  private queuedLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private current: OpenFile | undefined;
  private closed = false;
  private readonly maxQueuedBytes: number;
  private readonly flushDelayMs: number;
  readonly stats: PredictionLogStats = { written: 0, dropped: 0, queued: 0, files: 0 };

  constructor(private readonly opts: PredictionLogOptions) {
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.flushDelayMs = opts.flushDelayMs ?? 10;
  }

  /**
   * Queues JSON lines (no newline) for the UTC day `day` (YYYY-MM-DD). Never throws, never waits.
   * Lines of one call stay together and in order. A line may be an object whose toString() gives
   * the text (answer.ts's LogRecord): it is formatted when the batch is written, in one tight loop
   * off the request's path; until then its size counts as the average line's.
   */
  append(lines: readonly LogLine[], day: string): void {
    const n = lines.length;
    if (n === 0) return;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const l = lines[i]!;
      bytes += (typeof l === 'string' ? l.length : this.averageLine) + 1;
    }
    if (this.closed || this.queuedBytes + bytes > this.maxQueuedBytes) {
      this.stats.dropped += n;
      return;
    }
    const last = this.queue[this.queue.length - 1];
    if (last && last.day === day) {
      for (let i = 0; i < n; i++) last.lines.push(lines[i]!);
    } else this.queue.push({ day, lines: lines.slice() });
    this.queuedBytes += bytes;
    this.queuedLines += n;
    this.stats.queued = this.queuedLines;
    this.schedule();
  }

  /** Resolves once everything queued before the call is written (or counted as dropped). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing || this.queue.length > 0) {
      if (!this.writing) this.writing = this.writeQueued().finally(() => (this.writing = undefined));
      await this.writing;
    }
  }

  /** Writes what is queued and closes the file; later appends are dropped. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.current?.handle.close().catch(() => undefined);
    this.current = undefined;
  }

  /**
   * One background write per flush delay at most: under load, lines gather for the whole delay
   * and go out in one write, instead of a write per request as soon as the previous one returns
   * (each write costs the event loop tens of microseconds, a request a few).
   */
  private schedule(): void {
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.writing) return;
      this.writing = this.writeQueued().finally(() => {
        this.writing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    }, this.flushDelayMs);
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.queuedLines = 0;
    this.stats.queued = 0;
    for (const chunk of batch) {
      try {
        const text = `${chunk.lines.join('\n')}\n`;
        this.averageLine = Math.max(64, Math.round(text.length / chunk.lines.length));
        const buf = Buffer.from(text, 'utf8');
        const f = await this.fileFor(chunk.day, buf.length);
        const out = f.needsNewline ? Buffer.concat([NEWLINE, buf]) : buf;
        await writeAll(f.handle, out);
        f.size += out.length;
        f.needsNewline = false;
        this.stats.written += chunk.lines.length;
      } catch (e) {
        // A full disk or a deleted folder loses these lines; serving goes on and the count shows it.
        this.stats.dropped += chunk.lines.length;
        this.stats.lastError = (e as Error).message;
        await this.current?.handle.close().catch(() => undefined);
        this.current = undefined;
      }
    }
  }

  /** The file for `day` with room for `bytes` more (a new one when the current is full or of another day). */
  private async fileFor(day: string, bytes: number): Promise<OpenFile> {
    const cur = this.current;
    if (cur && cur.day === day && (cur.size === 0 || cur.size + bytes <= this.opts.maxFileBytes)) return cur;
    let n: number;
    if (cur && cur.day === day) n = cur.n + 1;
    else n = await lastNumber(this.opts.dir, day);
    if (cur) {
      this.current = undefined;
      await cur.handle.close().catch(() => undefined);
    }
    await fs.mkdir(this.opts.dir, { recursive: true });
    for (;;) {
      const file = path.join(this.opts.dir, `${PREDICTIONS_PREFIX}${day}-${n}.jsonl`);
      const handle = await fs.open(file, 'a');
      const { size } = await handle.stat();
      if (size > 0 && size + bytes > this.opts.maxFileBytes) {
        await handle.close();
        n++;
        continue;
      }
      const next: OpenFile = { day, n, file, handle, size, needsNewline: size > 0 && !(await endsWithNewline(file, size)) };
      this.current = next;
      this.stats.files++;
      return next;
    }
  }
}

/** The highest <n> of the day's files, or 1 when there are none. */
async function lastNumber(dir: string, day: string): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const prefix = `${PREDICTIONS_PREFIX}${day}-`;
  let n = 1;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.jsonl')) continue;
    const k = Number(name.slice(prefix.length, -'.jsonl'.length));
    if (Number.isSafeInteger(k) && k > n) n = k;
  }
  return n;
}

async function endsWithNewline(file: string, size: number): Promise<boolean> {
  const h = await fs.open(file, 'r');
  try {
    const b = Buffer.alloc(1);
    await h.read(b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    await h.close();
  }
}

async function writeAll(handle: fs.FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}
