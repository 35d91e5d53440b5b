/**
 * The server's counters for GET /metrics and the VS Code status bar: requests by status, scored
 * instances by model, route and version, a request rate over the last few whole seconds, and
 * latency percentiles over the most recent requests. Recording is O(1) and allocation-free.
 */

export interface ServerMetrics {
  uptime_s: number;
  requests: { total: number; by_status: Record<string, number>; errors: number; client_errors: number; server_errors: number };
  /** Requests per second averaged over the last `rate_window_s` whole seconds. */
  requests_per_s: number;
  rate_window_s: number;
  /** Over the last `latency.window` requests to :predict, in milliseconds (server side: receipt to response sent). */
  latency_ms: { p50: number; p90: number; p99: number; max: number; window: number };
  /** Scored instances: model → route → version → count. */
  predictions: Record<string, Record<string, Record<string, number>>>;
  /** Version swaps done, by model. */
  swaps: Record<string, number>;
  /** Answered instances whose category was outside the model's domain (the model's OOV rule applied): model → field → count. */
  out_of_domain: Record<string, Record<string, number>>;
  log: { written: number; dropped: number; queued: number };
}

const RATE_WINDOW_S = 5;
const LATENCY_WINDOW = 8192;

export class MetricsRecorder {
  private readonly started = Date.now();
  private total = 0;
  private readonly byStatus = new Map<number, number>();
  // One counter per wall-clock second, in a ring; `second` says which second a slot holds.
  private readonly perSecond = new Float64Array(RATE_WINDOW_S + 2);
  private readonly slotSecond = new Float64Array(RATE_WINDOW_S + 2).fill(-1);
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private latencyCount = 0;
  private readonly predictions: ServerMetrics['predictions'] = {};
  readonly swaps: Record<string, number> = {};
  private readonly oov: ServerMetrics['out_of_domain'] = {};

  request(status: number, nowMs = Date.now()): void {
    this.total++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.perSecond.length;
    if (this.slotSecond[slot] !== second) {
      this.slotSecond[slot] = second;
      this.perSecond[slot] = 0;
    }
    this.perSecond[slot]! += 1;
  }

  latency(ms: number): void {
    this.latencies[this.latencyCount++ % LATENCY_WINDOW] = ms;
  }

  predicted(model: string, route: string, version: number, instances: number): void {
    const byRoute = (this.predictions[model] ??= {});
    const byVersion = (byRoute[route] ??= {});
    byVersion[version] = (byVersion[version] ?? 0) + instances;
  }

  outOfDomain(model: string, field: string, instances: number): void {
    const byField = (this.oov[model] ??= {});
    byField[field] = (byField[field] ?? 0) + instances;
  }

  swapped(model: string): void {
    this.swaps[model] = (this.swaps[model] ?? 0) + 1;
  }

  snapshot(log: { written: number; dropped: number; queued: number }, nowMs = Date.now()): ServerMetrics {
    const by_status: Record<string, number> = {};
    let client = 0;
    let server = 0;
    for (const [status, n] of [...this.byStatus].sort((a, b) => a[0] - b[0])) {
      by_status[String(status)] = n;
      if (status >= 500) server += n;
      else if (status >= 400) client += n;
    }
    // Whole seconds only: the current one is still filling up.
    const now = Math.floor(nowMs / 1000);
    let recent = 0;
    for (let s = now - RATE_WINDOW_S; s < now; s++) {
      const slot = s % this.perSecond.length;
      if (this.slotSecond[slot] === s) recent += this.perSecond[slot]!;
    }
    const n = Math.min(this.latencyCount, LATENCY_WINDOW);
    const sorted = this.latencies.slice(0, n).sort();
    const q = (p: number) => (n === 0 ? 0 : round3(sorted[Math.min(n - 1, Math.ceil(p * n) - 1)]!));
    return {
      uptime_s: Math.round((nowMs - this.started) / 1000),
      requests: { total: this.total, by_status, errors: client + server, client_errors: client, server_errors: server },
      requests_per_s: recent / RATE_WINDOW_S,
      rate_window_s: RATE_WINDOW_S,
      latency_ms: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: n === 0 ? 0 : round3(sorted[n - 1]!), window: n },
      predictions: structuredClone(this.predictions),
      swaps: { ...this.swaps },
      out_of_domain: structuredClone(this.oov),
      log,
    };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
