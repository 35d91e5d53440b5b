/**
 * Windows over time: which hour, day, ISO week (Monday first, as DuckDB's date_trunc) or month
 * (all UTC) an instant falls in, or consecutive chunks of N instances.
 */
import { mulberry32 } from '../demo/random';
import type { MonitorWindow } from '../project/config';

export type TimeWindow = Exclude<MonitorWindow, { requests: number }>;

export interface WindowSpan {
  /** What a person reads: 2025-05, 2025-W18, 2025-05-03, 2025-05-03 14:00, or #3 for chunks. */
  id: string;
  /** ISO instants, end exclusive. */
  start: string;
  end: string;
}

const DAY = 86_400_000;

/** Windows with fewer served instances (or labels, for metrics) are shown but raise no alert. */
export const MIN_WINDOW_ROWS = 30;

/** A time from a log record or a data row: Date, ISO string, YYYY-MM-DD (UTC midnight), epoch ms. */
export function toTime(v: unknown): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const s = v.trim();
    // A bare date is a calendar day, not local midnight.
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export function timeWindowOf(t: Date, kind: TimeWindow): WindowSpan {
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  const d = t.getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  switch (kind) {
    case 'month': {
      const start = Date.UTC(y, m, 1);
      return { id: `${y}-${pad(m + 1)}`, start: iso(start), end: iso(Date.UTC(y, m + 1, 1)) };
    }
    case 'week': {
      const day = Date.UTC(y, m, d);
      const start = day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
      // The ISO week-numbering year is the year of the week's Thursday.
      const thursday = new Date(start + 3 * DAY);
      const wy = thursday.getUTCFullYear();
      const week = 1 + Math.floor((thursday.getTime() - Date.UTC(wy, 0, 1)) / (7 * DAY));
      return { id: `${wy}-W${pad(week)}`, start: iso(start), end: iso(start + 7 * DAY) };
    }
    case 'day': {
      const start = Date.UTC(y, m, d);
      return { id: iso(start).slice(0, 10), start: iso(start), end: iso(start + DAY) };
    }
    case 'hour': {
      const start = Date.UTC(y, m, d, t.getUTCHours());
      return { id: `${iso(start).slice(0, 10)} ${pad(t.getUTCHours())}:00`, start: iso(start), end: iso(start + DAY / 24) };
    }
  }
}

/**
 * Consecutive chunks of `size` items (in the given order) as index lists: what `{requests: N}`
 * windows are, and how reference data without a time column is cut. A last chunk of fewer than
 * half the size joins the one before it, so no window is mostly noise.
 */
export function chunks(count: number, size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < count; i += size) out.push(Array.from({ length: Math.min(size, count - i) }, (_, k) => i + k));
  if (out.length > 1 && out[out.length - 1]!.length < size / 2) out[out.length - 2]!.push(...out.pop()!);
  return out;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * `count` windows of `size` distinct indices below n, each drawn at random (seeded, so a report
 * is reproducible). Reference data without a time column has no order worth keeping, and
 * consecutive chunks of a small reference are too few to estimate σ from: 15 chunks leave the
 * threshold's σ uncertain by about 18%, enough to triple the false alarms.
 */
export function sampledWindows(n: number, size: number, count: number, seed = 1): number[][] {
  const rand = mulberry32(seed);
  const k = Math.min(size, n);
  const pool = Array.from({ length: n }, (_, i) => i);
  const out: number[][] = [];
  for (let w = 0; w < count; w++) {
    // A partial Fisher-Yates shuffle: the first k slots are a uniform sample without replacement.
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rand() * (n - i));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    out.push(pool.slice(0, k).sort((a, b) => a - b));
  }
  return out;
}
