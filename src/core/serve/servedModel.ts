/**
 * One served model: which versions answer (primary, canary, shadow), kept in step with the
 * registry. The versions in use form one immutable Deployment object; a swap loads every new
 * version fully first, then replaces that object in a single assignment, then disposes what no
 * longer serves. Request handlers read the Deployment once and score synchronously, so a request
 * sees one consistent set of versions and a version is never disposed under it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { isProdmlError } from '../errors';
import type { ModelServingConfig } from '../project/config';
import type { Aliases, Registry } from '../registry';
import { loadStaticTable, staticManifestPath, staticTablePath, type StaticTable } from '../advise/staticTable';
import { readSchema } from '../schema/io';
import type { Schema } from '../schema/types';
import { instanceChecker, type InstanceChecker } from './instanceCheck';
import { loadScorer, type Scorer } from './scorer';

export interface LoadedVersion {
  version: number;
  scorer: Scorer;
  check: InstanceChecker;
  schema?: Schema;
  /** Why the schema snapshot could not be used (then only the model's inputs are checked). */
  schemaProblem?: string;
  /**
   * The version's precomputed predictions (advise/staticTable.ts), when it has a table built for
   * it. Replaced in one assignment when the table is rebuilt; requests read it once.
   */
  static?: StaticTable;
  /** The manifest's stat when the table was last looked for (a rebuild changes it). */
  staticStamp?: string;
  disposed: boolean;
}

export type SlotName = 'primary' | 'canary' | 'shadow';

export interface Deployment {
  primary: LoadedVersion;
  /** The alias the primary follows, or `latest` when no version has that alias yet. */
  primaryAlias: string;
  canary?: { lv: LoadedVersion; alias: string; percent: number };
  shadow?: { lv: LoadedVersion; alias: string };
  aliases: Aliases;
}

export interface SwapEvent {
  event: 'swapped';
  model: string;
  route: SlotName;
  alias: string;
  from: number | null;
  to: number | null;
}

export interface ModelErrorEvent {
  event: 'error';
  model: string;
  message: string;
}

/** A pinned version or alias the registry does not have. */
export class NotServable extends Error {}

/** Pinned versions (versions/<v>, labels/<alias>) kept loaded besides the deployment. */
const PINNED_KEPT = 4;

export class ServedModel {
  private current: Deployment | undefined;
  private readonly pool = new Map<number, Promise<LoadedVersion>>();
  private pinnedRecent: number[] = [];
  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private closed = false;
  private readonly failedOnce = new Set<string>();

  constructor(
    readonly name: string,
    readonly config: ModelServingConfig,
    private readonly registry: Registry,
    private readonly emit: (e: SwapEvent | ModelErrorEvent) => void,
    /** The workspace, to find each version's static table in; without it no table is used. */
    private readonly root?: string,
    /** Fields a request may hold besides the inputs and the schema's (serving key, label, time columns). */
    private readonly accepted: readonly string[] = config.key ? [config.key] : [],
  ) {}

  get deployment(): Deployment {
    if (!this.current) throw new Error(`model ${this.name} is not started`);
    return this.current;
  }

  /** Loads what the registry says should serve; throws (a ProdmlError) when nothing can. */
  async start(): Promise<void> {
    this.signature = await this.registrySignature();
    await this.refresh(true);
  }

  /** Polls the registry's aliases and version counter every `pollMs`. */
  watch(pollMs: number): void {
    const tick = async () => {
      if (this.closed) return;
      try {
        const sig = await this.registrySignature();
        if (sig !== this.signature) {
          this.signature = sig;
          await this.refresh(false);
        }
        await this.refreshStatic();
      } catch (e) {
        this.emit({ event: 'error', model: this.name, message: (e as Error).message });
      }
      if (!this.closed) {
        this.timer = setTimeout(tick, pollMs);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(tick, pollMs);
    this.timer.unref();
  }

  /** Re-reads the registry and swaps in whatever changed. Serialized: one refresh at a time. */
  async refresh(initial = false): Promise<void> {
    while (this.refreshing) await this.refreshing;
    this.refreshing = this.doRefresh(initial).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** A version by number or by alias, loaded on first use and kept while recently used. */
  async pinned(ref: { version: number } | { alias: string }): Promise<LoadedVersion> {
    let version: number;
    if ('alias' in ref) {
      const v = this.deployment.aliases[ref.alias];
      if (v === undefined) {
        const known = Object.keys(this.deployment.aliases);
        throw new NotServable(`model '${this.name}' has no alias '${ref.alias}' (aliases: ${known.length ? known.join(', ') : 'none'})`);
      }
      version = v;
    } else version = ref.version;
    const d = this.deployment;
    for (const lv of [d.primary, d.canary?.lv, d.shadow?.lv]) if (lv?.version === version) return lv;
    for (;;) {
      let lv: LoadedVersion;
      try {
        lv = await this.load(version);
      } catch (e) {
        this.pool.delete(version);
        if (isProdmlError(e)) throw new NotServable(e.message);
        throw e;
      }
      if (lv.disposed) continue; // evicted between load and now: load again
      this.pinnedRecent = [version, ...this.pinnedRecent.filter((v) => v !== version)];
      if (this.pinnedRecent.length > PINNED_KEPT) this.prune();
      return lv;
    }
  }

  /** Versions that can answer now, for the status endpoint. */
  async loadedVersions(): Promise<LoadedVersion[]> {
    const out: LoadedVersion[] = [];
    for (const p of this.pool.values()) {
      const lv = await p.catch(() => undefined);
      if (lv && !lv.disposed) out.push(lv);
    }
    return out.sort((a, b) => a.version - b.version);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.refreshing) await this.refreshing;
    for (const p of this.pool.values()) {
      const lv = await p.catch(() => undefined);
      if (lv) dispose(lv);
    }
    this.pool.clear();
  }

  private async doRefresh(initial: boolean): Promise<void> {
    const aliases = await this.registry.aliases(this.name);
    let primaryAlias = this.config.alias;
    let primaryV = aliases[primaryAlias];
    if (primaryV === undefined) {
      primaryV = (await this.registry.getVersion(this.name, 'latest')).version;
      primaryAlias = 'latest';
    }
    const canaryV = this.config.canary ? aliases[this.config.canary.alias] : undefined;
    const shadowV = this.config.shadow ? aliases[this.config.shadow.alias] : undefined;
    // A canary or shadow on the primary's own version would only duplicate it.
    const want = { primary: primaryV, canary: canaryV !== primaryV ? canaryV : undefined, shadow: shadowV !== primaryV ? shadowV : undefined };

    const old = this.current;
    const loaded: Partial<Record<SlotName, LoadedVersion>> = {};
    for (const slot of ['primary', 'canary', 'shadow'] as const) {
      const v = want[slot];
      if (v === undefined) continue;
      try {
        loaded[slot] = await this.load(v);
      } catch (e) {
        this.pool.delete(v);
        if (initial && slot === 'primary') throw e;
        // Keep serving what we have; say so once per version that fails.
        const key = `${slot}:${v}`;
        if (!this.failedOnce.has(key)) {
          this.failedOnce.add(key);
          this.emit({ event: 'error', model: this.name, message: `cannot load version ${v} for ${slot}: ${(e as Error).message}; ${slot === 'primary' ? `still serving ${describe(old)}` : `no ${slot} until it loads`}` });
        }
        // Retry on the next poll.
        this.signature = '';
        if (slot === 'primary') return;
      }
    }
    const next: Deployment = {
      primary: loaded.primary ?? old!.primary,
      primaryAlias,
      ...(loaded.canary ? { canary: { lv: loaded.canary, alias: this.config.canary!.alias, percent: this.config.canary!.percent } } : {}),
      ...(loaded.shadow ? { shadow: { lv: loaded.shadow, alias: this.config.shadow!.alias } } : {}),
      aliases,
    };
    // The swap: one assignment. Requests that already read `current` finish on their versions.
    this.current = next;
    if (!initial) {
      const slots: [SlotName, string, number | undefined, number | undefined][] = [
        ['primary', next.primaryAlias, old?.primary.version, next.primary.version],
        ['canary', this.config.canary?.alias ?? '', old?.canary?.lv.version, next.canary?.lv.version],
        ['shadow', this.config.shadow?.alias ?? '', old?.shadow?.lv.version, next.shadow?.lv.version],
      ];
      for (const [route, alias, from, to] of slots) {
        if (from !== to) this.emit({ event: 'swapped', model: this.name, route, alias, from: from ?? null, to: to ?? null });
      }
    }
    this.prune();
  }

  private load(version: number): Promise<LoadedVersion> {
    let p = this.pool.get(version);
    if (!p) {
      p = (async () => {
        const v = await this.registry.getVersion(this.name, version);
        const scorer = await loadScorer(v);
        let schema: Schema | undefined;
        let schemaProblem: string | undefined;
        try {
          schema = await readSchema(v.files['schema.yaml']);
        } catch (e) {
          schemaProblem = (e as Error).message;
        }
        const lv: LoadedVersion = { version, scorer, check: instanceChecker({ ...(schema ? { schema } : {}), transforms: scorer.transforms, extra: this.accepted }), ...(schema ? { schema } : {}), ...(schemaProblem ? { schemaProblem } : {}), disposed: false };
        await this.loadStatic(lv);
        return lv;
      })();
      this.pool.set(version, p);
    }
    return p;
  }

  /** Looks for the version's static table; a table that must not be used is reported and left out. */
  private async loadStatic(lv: LoadedVersion): Promise<void> {
    if (!this.root) return;
    const stamp = await this.staticStamp(lv.version);
    lv.staticStamp = stamp;
    try {
      const table = await loadStaticTable(this.root, this.name, lv.version, lv.scorer, this.config.key);
      if (table) lv.static = table;
      else delete lv.static;
    } catch (e) {
      delete lv.static;
      this.emit({ event: 'error', model: this.name, message: `static table of version ${lv.version} not used: ${(e as Error).message}` });
    }
  }

  /** Reloads the static table of each loaded version whose manifest changed (built, rebuilt or removed). */
  private async refreshStatic(): Promise<void> {
    if (!this.root) return;
    for (const p of [...this.pool.values()]) {
      const lv = await p.catch(() => undefined);
      if (!lv || lv.disposed) continue;
      if ((await this.staticStamp(lv.version)) !== lv.staticStamp) await this.loadStatic(lv);
    }
  }

  private async staticStamp(version: number): Promise<string> {
    const st = await fs.stat(staticManifestPath(staticTablePath(this.root!, this.name, version))).catch(() => undefined);
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';
  }

  /** Disposes loaded versions that neither serve nor were pinned recently. */
  private prune(): void {
    this.pinnedRecent = this.pinnedRecent.slice(0, PINNED_KEPT);
    const d = this.current;
    const keep = new Set<number>([...this.pinnedRecent, ...(d ? [d.primary.version, d.canary?.lv.version, d.shadow?.lv.version] : [])].filter((v): v is number => v !== undefined));
    for (const [v, p] of this.pool) {
      if (keep.has(v)) continue;
      this.pool.delete(v);
      void p.then(dispose, () => undefined);
    }
  }

  /** Changes whenever aliases.json is replaced or a version is added (cheap: two stats). */
  private async registrySignature(): Promise<string> {
    const dir = this.registry.modelDir(this.name);
    const parts = await Promise.all(
      ['aliases.json', '.last-version'].map(async (f) => {
        const st = await fs.stat(path.join(dir, f)).catch(() => undefined);
        return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';
      }),
    );
    return parts.join('|');
  }
}

function dispose(lv: LoadedVersion): void {
  if (lv.disposed) return;
  lv.disposed = true;
  lv.scorer.dispose();
}

function describe(d: Deployment | undefined): string {
  return d ? `version ${d.primary.version}` : 'nothing';
}
