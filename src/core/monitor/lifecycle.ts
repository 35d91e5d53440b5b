/**
 * An alert belongs to the version that served its window. Once the serving alias moves away
 * from that version (a rollback, or the promotion of a fixed version) after the window's last
 * request, the alert is resolved by that action: the new version's windows start clean, and only
 * the alerts still active make `prodml monitor` exit 1 or stay in the Problems panel.
 */
import type { AliasEvent } from '../registry/types';
import type { Alert } from './types';

/**
 * Marks each alert active or resolved. `lastRequest` holds each window's last request time (ISO)
 * by the version the alert belongs to; `history` is the registry's alias history, oldest first.
 */
export function resolveAlerts(alerts: readonly Alert[], lastRequest: ReadonlyMap<string, string>, history: readonly AliasEvent[], alias: string): Alert[] {
  const moves = history.filter((e) => e.alias === alias && e.from !== e.to).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return alerts.map((a) => {
    const last = lastRequest.get(a.window);
    const by = a.version === undefined || last === undefined ? undefined : moves.find((e) => e.at > last && e.to !== a.version);
    if (!by) return { ...a, status: 'active' as const };
    const verb = by.action === 'rollback' ? 'rolled back' : 'promoted';
    return {
      ...a,
      status: 'resolved' as const,
      resolved: {
        at: by.at,
        action: by.action,
        from: by.from,
        to: by.to,
        description: `${alias} ${verb} ${by.from === null ? `to version ${by.to}` : `from version ${by.from} to ${by.to}`} on ${by.at.slice(0, 16).replace('T', ' ')} UTC${by.reason ? ` (${by.reason})` : ''}`,
      },
    };
  });
}

/** The alerts that still stand. */
export function activeAlerts(alerts: readonly Alert[]): Alert[] {
  return alerts.filter((a) => a.status !== 'resolved');
}
