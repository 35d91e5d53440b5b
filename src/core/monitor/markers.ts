/**
 * Where the served version changed, for the time axis of every chart: from the registry's alias
 * history (promotions and rollbacks, at the time they happened) and from the log itself (the
 * first request a route served with a new version). Windows may be cut on an event-time column
 * rather than on request time, so each marker is placed at the window-axis time of the first
 * request at or after it.
 */
import type { AliasEvent } from '../registry/types';
import type { Route } from '../serve/logTypes';
import type { VersionMarker } from './types';

export interface PlacedRecord {
  /** When the request arrived. */
  time: Date;
  /** Its time on the windows' axis (the time column's value, or the request time). */
  axis: Date;
  window: string;
  route: Route;
  version: number;
}

export function versionMarkers(history: readonly AliasEvent[], records: readonly PlacedRecord[]): VersionMarker[] {
  const byTime = [...records].sort((a, b) => a.time.getTime() - b.time.getTime());
  const firstAtOrAfter = (t: number): PlacedRecord | undefined => {
    let lo = 0;
    let hi = byTime.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byTime[mid]!.time.getTime() < t) lo = mid + 1;
      else hi = mid;
    }
    return byTime[lo];
  };
  const out: VersionMarker[] = [];
  for (const e of history) {
    const at = new Date(e.at);
    if (Number.isNaN(at.getTime())) continue;
    const next = firstAtOrAfter(at.getTime());
    const verb = e.action === 'rollback' ? 'rolled back' : 'promoted';
    out.push({
      at: (next?.axis ?? at).toISOString(),
      ...(next ? { window: next.window } : {}),
      source: 'registry',
      action: e.action,
      alias: e.alias,
      from: e.from,
      to: e.to,
      time: e.at,
      description: `${e.alias} ${verb} ${e.from === null ? `to version ${e.to}` : `from version ${e.from} to ${e.to}`}${e.reason ? ` (${e.reason})` : ''}`,
    });
  }
  const last = new Map<Route, number>();
  for (const r of byTime) {
    if (r.route === 'shadow') continue;
    const before = last.get(r.route);
    last.set(r.route, r.version);
    if (before === undefined || before === r.version) continue;
    out.push({
      at: r.axis.toISOString(),
      window: r.window,
      source: 'log',
      action: 'served',
      route: r.route,
      from: before,
      to: r.version,
      time: r.time.toISOString(),
      description: `the ${r.route} route served version ${r.version} instead of ${before}`,
    });
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
