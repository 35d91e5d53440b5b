/**
 * validate: the gate before training. Each staged batch is checked against the schema and, for
 * drift, against the data the model trains on now; a batch with an error anomaly (or one that
 * cannot be read, or repeats a file already in the dataset) is quarantined, the others join the
 * dataset folder. Files already in the dataset are checked against the schema once per content,
 * and are never moved: an error there stops the run and leaves the user's file where it is.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import { DuckSession } from '../data/duckdb';
import { openSource } from '../data/source';
import { isProdmlError } from '../errors';
import { readSchema } from '../schema/io';
import { TRAINING, type ValidationResult } from '../schema/types';
import { validateData } from '../schema/validate';
import { datasetFiles } from '../project/config';
import { listBatches, moveFile, relTo } from './files';
import { fileHash } from './hashing';
import { STAGING_DIR } from './ingestStep';
import { quarantineBatch, type Quarantined } from './quarantine';
import type { StepContext, StepDefinition } from './stepTypes';

const SCHEMA_KEY = 'schema:';
const STAGED_PREFIX = `${STAGING_DIR}/`;

interface Checked {
  file: string;
  rows?: number;
  errors: number;
  warnings: number;
}

export const validateStep: StepDefinition = {
  learnsFromFailed: true,
  async inputs(ctx) {
    const out: Record<string, string> = {};
    const schema = ctx.pipeline.validate.schema;
    if (schema) out[SCHEMA_KEY + schema] = await fileHash(path.resolve(ctx.root, schema)).catch(() => 'missing');
    for (const f of await listBatches(path.join(ctx.root, STAGING_DIR))) out[relTo(ctx.root, f)] = await fileHash(f);
    for (const [rel, hash] of Object.entries(await modelDataHashes(ctx))) out[rel] = hash;
    return out;
  },
  async upToDate(ctx, inputs, previous) {
    const known = knownGood(ctx, inputs, previous);
    return Object.entries(inputs).every(([k, h]) => (k.startsWith(SCHEMA_KEY) ? previous.inputs[k] === h : !k.startsWith(STAGED_PREFIX) && known[k] === h));
  },
  async run(ctx, inputs, previous) {
    const schemaFile = ctx.pipeline.validate.schema;
    const staged = Object.keys(inputs).filter((k) => k.startsWith(STAGED_PREFIX));
    if (!schemaFile) {
      return { status: 'skipped', outputs: { validated: {} }, messages: [`datasets.${ctx.model.dataset.name} has no schema: nothing to validate against`] };
    }
    const schema = await readSchema(path.resolve(ctx.root, schemaFile));
    const known = previous ? knownGood(ctx, inputs, previous) : {};
    const dataset = Object.entries(inputs).filter(([k]) => !k.startsWith(SCHEMA_KEY) && !k.startsWith(STAGED_PREFIX));
    const fresh = dataset.filter(([k, h]) => known[k] !== h);
    const validated: Record<string, string> = Object.fromEntries(dataset.filter(([k, h]) => known[k] === h));
    const checked: Checked[] = [];
    const invalid: { file: string; errors: string[] }[] = [];
    const quarantined: Quarantined[] = [];
    const admitted: { file: string; to: string; sha256: string }[] = [];
    const total = fresh.length + staged.length;
    let done = 0;
    const env = ctx.model.dataset.environment ?? TRAINING;
    const good: { rel: string; hash: string }[] = [];

    const session = await DuckSession.open({ allowedDirectories: [ctx.root] });
    try {
      for (const [rel, hash] of fresh) {
        ctx.progress(done++ / total, `Checking ${rel}`);
        const r = await validateData(session, await openSource(rel, ctx.root), schema, { environment: env, signal: ctx.signal });
        checked.push(counts(rel, r));
        const errors = r.anomalies.filter((a) => a.severity === 'error');
        await logResult(ctx, rel, r);
        if (errors.length > 0) invalid.push({ file: rel, errors: [...new Set(errors.map((a) => a.description))].slice(0, 5) });
        else validated[rel] = hash;
      }

      const baselineGlob = ctx.pipeline.validate.drift && dataset.length > 0 ? (ctx.pipeline.validate.baseline ?? ctx.model.dataset.path[0]) : undefined;
      const baseline = baselineGlob ? await openSource(baselineGlob, ctx.root).catch(() => undefined) : undefined;
      const byHash = new Map(dataset.map(([k, h]) => [h, k]));
      for (const rel of staged) {
        ctx.progress(done++ / total, `Checking new batch ${path.basename(rel)}`);
        const hash = inputs[rel]!;
        const origin = { file: ctx.pipeline.ingest ? `${ctx.pipeline.ingest.from}/${path.basename(rel)}` : rel, sha256: hash };
        const reject = async (reason: string, validation?: ValidationResult) => {
          const q = await quarantineBatch(ctx.root, ctx.runId, path.join(ctx.root, rel), origin, { reason, schema: schemaFile, validation });
          quarantined.push(q);
          await ctx.log(`QUARANTINED ${origin.file}: ${reason}\n  moved to ${q.to}; report ${q.report_text}`);
        };
        const same = byHash.get(hash) ?? good.find((g) => g.hash === hash)?.rel;
        if (same) {
          await reject(`it is identical to ${same} (same content): training on it would count its rows twice`);
          continue;
        }
        const dest = admissionPath(ctx, rel);
        if (!ctx.model.dataset.path.some((g) => picomatch.isMatch(dest, g.replace(/^\.\//, '')))) {
          await reject(`as ${dest} it would not be read by datasets.${ctx.model.dataset.name}.path (${ctx.model.dataset.path.join(', ')}); give it a name and format that matches`);
          continue;
        }
        let r: ValidationResult;
        try {
          r = await validateData(session, await openSource(rel, ctx.root), schema, { environment: env, baseline, signal: ctx.signal });
        } catch (e) {
          if (!isProdmlError(e) || e.kind === 'cancelled') throw e;
          await reject(`it cannot be read: ${e.message}`);
          continue;
        }
        checked.push(counts(origin.file, r));
        await logResult(ctx, origin.file, r);
        const errors = r.anomalies.filter((a) => a.severity === 'error');
        if (errors.length > 0) {
          const kinds = [...new Set(errors.map((a) => `${a.type}${a.feature ? ` (${a.feature})` : ''}`))];
          await reject(`failed ${kinds.length} check${kinds.length === 1 ? '' : 's'}: ${kinds.slice(0, 6).join(', ')}${kinds.length > 6 ? ', …' : ''}`, r);
        } else good.push({ rel, hash });
      }
    } finally {
      session.close();
    }

    // Only after every batch was compared with the dataset as it was: a new batch is no one's baseline.
    for (const { rel, hash } of good) {
      const to = relTo(ctx.root, await moveFile(path.join(ctx.root, rel), path.join(ctx.root, admissionPath(ctx, rel))));
      admitted.push({ file: rel, to, sha256: hash });
      validated[to] = hash;
      await ctx.log(`admitted ${path.basename(rel)} into the dataset as ${to}`);
    }

    const messages: string[] = [];
    if (checked.length === 0) messages.push('every file was checked before; no new batch');
    else messages.push(`checked ${checked.length} file${checked.length === 1 ? '' : 's'} against ${schemaFile}`);
    if (admitted.length) messages.push(`admitted ${admitted.map((a) => a.to).join(', ')}`);
    for (const q of quarantined) messages.push(`quarantined ${q.file}: ${q.reason} (report: ${q.report_text})`);
    for (const i of invalid) messages.push(`${i.file} fails ${schemaFile}: ${i.errors.join('; ')}`);
    const outputs = { checked, admitted, quarantined, invalid, validated };
    if (quarantined.length) return { status: 'failed', gate: 'quarantined', outputs, messages };
    if (invalid.length) return { status: 'failed', gate: 'invalid_data', outputs, messages };
    return { status: 'ok', outputs, messages };
  },
};

/** Files already checked against this very schema, by content. */
function knownGood(_ctx: StepContext, inputs: Record<string, string>, previous: { inputs: Record<string, string>; outputs: Record<string, unknown> }): Record<string, string> {
  const schemaKey = Object.keys(inputs).find((k) => k.startsWith(SCHEMA_KEY));
  if (!schemaKey || previous.inputs[schemaKey] !== inputs[schemaKey]) return {};
  return (previous.outputs['validated'] as Record<string, string> | undefined) ?? {};
}

function admissionPath(ctx: StepContext, staged: string): string {
  const to = ctx.pipeline.ingest?.to ?? '.';
  return to === '.' ? path.basename(staged) : `${to}/${path.basename(staged)}`;
}

/** Workspace-relative path → content hash of every file the model's dataset reads. */
export async function modelDataHashes(ctx: Pick<StepContext, 'root' | 'project' | 'model'>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await datasetFiles(ctx.root, { ...ctx.project, datasets: [ctx.model.dataset] })) out[relTo(ctx.root, f)] = await fileHash(f);
  return out;
}

function counts(file: string, r: ValidationResult): Checked {
  return { file, rows: r.rows, errors: r.anomalies.filter((a) => a.severity === 'error').length, warnings: r.anomalies.filter((a) => a.severity === 'warning').length };
}

async function logResult(ctx: StepContext, file: string, r: ValidationResult): Promise<void> {
  const c = counts(file, r);
  const lines = [`${file}: ${r.rows} rows, ${c.errors} errors, ${c.warnings} warnings${r.baseline ? ` (drift baseline ${r.baseline})` : ''}`];
  for (const a of r.anomalies.slice(0, 20)) lines.push(`  ${a.severity} ${a.type} ${a.feature ?? '(dataset)'}: ${a.description}`);
  await ctx.log(lines.join('\n'));
}

