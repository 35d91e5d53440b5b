/**
 * The engine process: the extension host forks it (node IPC) and sends it requests, so that
 * DuckDB's native code and heavy queries never run on the extension host. Each request gets a
 * fresh DuckDB session confined to the directories the host allows.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckSession } from '../core/data/duckdb';
import { profileDatasets } from '../core/data/profile';
import { explainReadError, openSource } from '../core/data/source';
import { inferSchema } from '../core/schema/infer';
import { schemaToYaml } from '../core/schema/io';
import { writeFileAtomic } from '../core/project/atomicWrite';
import { badInput, isProdmlError } from '../core/errors';
import { profileHtml } from '../core/report/profileHtml';
import { profileView } from '../core/report/profileView';
import { loadProjectConfig } from '../core/project/config';
import { trainFromConfig } from '../core/train/run';
import { openRegistry } from '../core/registry';
import { predictBatch } from '../core/serve/batch';
import { addLabels } from '../core/serve/labels';
import { resolveVersion } from '../core/project/resolveVersion';
import { monitorModel } from '../core/monitor';
import { monitorPage } from './monitorView';
import { adviseServing, writeStaticTable } from '../core/advise';
import { advicePage } from './advicePage';
import { loadStudyResult, registerBestTrial, tuneModel } from '../core/tune';
import { tunePage } from './tunePage';
import { featureImportance, leakageCheck } from '../core/checks';
import { importancePage, leakagePage } from './checksPages';
import { loadPipeline, runPipeline } from '../core/pipeline/runner';
import { comparePage } from './compareView';
import { compareVersions, heldOutSource } from '../core/evaluate/compareVersions';
import { exportModel } from '../core/export/exportModel';
import { openWorkspace } from '../core/project/workspace';
import { engineRequestSchema, type EngineRequest, type EngineResponse } from '../protocol/engineMessages';

const running = new Map<number, AbortController>();

function send(msg: EngineResponse): void {
  process.send?.(msg);
}

async function profile(params: { data: string; compare?: string; cwd: string; allowedDirectories: string[] }, id: number, signal: AbortSignal) {
  const base = await openSource(params.data, params.cwd);
  const compare = params.compare ? await openSource(params.compare, params.cwd) : undefined;
  const session = await DuckSession.open({ allowedDirectories: params.allowedDirectories, preserveInsertionOrder: false });
  try {
    return await profileDatasets(session, base, compare, {
      signal,
      onProgress: (fraction, phase) => send({ id, progress: { fraction, phase } }),
    });
  } finally {
    session.close();
  }
}

async function handle(req: EngineRequest): Promise<unknown> {
  const abort = new AbortController();
  running.set(req.id, abort);
  try {
    switch (req.method) {
      case 'profile': {
        const result = await profile(req.params, req.id, abort.signal);
        return { result, view: profileView(result) };
      }
      case 'profileHtml': {
        const result = await profile(req.params, req.id, abort.signal);
        const out = path.resolve(req.params.cwd, req.params.out);
        await fs.mkdir(path.dirname(out), { recursive: true });
        await fs.writeFile(out, await profileHtml(result));
        return { out };
      }
      case 'columns': {
        const session = await DuckSession.open({ allowedDirectories: req.params.allowedDirectories });
        try {
          const src = await openSource(req.params.data, req.params.cwd);
          const rows = await session.rows(`DESCRIBE SELECT * FROM ${src.scan}`).catch(async (e: unknown) => {
            throw await explainReadError(e, src);
          });
          return { columns: rows.map((r) => String(r['column_name'])) };
        } finally {
          session.close();
        }
      }
      case 'inferSchema': {
        const { data, cwd, label, force } = req.params;
        const out = path.resolve(cwd, req.params.out);
        const session = await DuckSession.open({ allowedDirectories: req.params.allowedDirectories });
        try {
          const inferred = await inferSchema(session, await openSource(data, cwd), { label, signal: abort.signal });
          await writeFileAtomic(out, schemaToYaml(inferred.schema, inferred.notes), { noClobber: !force });
          return { out, features: Object.keys(inferred.schema.features).length };
        } finally {
          session.close();
        }
      }
      case 'models': {
        const project = await loadProjectConfig(req.params.root);
        return { models: project?.models.map((m) => m.name) ?? [] };
      }
      case 'train': {
        const o = await trainFromConfig(req.params.root, req.params.model, {
          signal: abort.signal,
          onProgress: (p) =>
            p.phase === 'training'
              ? send({ id: req.id, progress: { fraction: p.epoch / p.epochs, phase: `Epoch ${p.epoch}/${p.epochs}`, epoch: { epoch: p.epoch, epochs: p.epochs, loss: p.loss, evalLoss: p.evalLoss } } })
              : send({ id: req.id, progress: { fraction: 0, phase: p.message } }),
        });
        const nullable = (v: number) => (Number.isFinite(v) ? v : null);
        return {
          version: o.version,
          blessed: o.blessed,
          backend: o.backend,
          rows: o.rows,
          comparison: o.evaluation.comparison.map((c) => ({ metric: c.metric, model: nullable(c.model), baseline: nullable(c.baseline) })),
          checks: (o.evaluation.blessing?.checks ?? []).map((c) => ({ passed: c.passed, description: c.description })),
          baseline: o.evaluation.baseline.description,
        };
      }
      case 'predict': {
        const { root, input, output } = req.params;
        const registry = await openRegistry(root);
        const { version } = await resolveVersion(root, registry, req.params.model);
        const session = await DuckSession.open({ allowedDirectories: req.params.allowedDirectories });
        try {
          const r = await predictBatch(session, version, await openSource(input, root), output, {
            signal: abort.signal,
            onProgress: (done, total) => send({ id: req.id, progress: { fraction: total ? done / total : 0, phase: `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows` } }),
          });
          return { rows: r.rows, output: r.output, seconds: r.seconds, version: version.version };
        } finally {
          session.close();
        }
      }
      case 'export': {
        const { root, ...request } = req.params;
        return exportModel(await openWorkspace({ workspace: root, cwd: root }), request);
      }
      case 'labels': {
        const session = await DuckSession.open({ allowedDirectories: req.params.allowedDirectories });
        try {
          return await addLabels(req.params.root, req.params.model, req.params.file, { session });
        } finally {
          session.close();
        }
      }
      case 'monitor': {
        const { root, model } = req.params;
        const session = await DuckSession.open({ allowedDirectories: [root] });
        try {
          const report = await monitorModel(session, root, model, { signal: abort.signal });
          const yaml = await fs.readFile(path.join(root, 'prodml.yaml'), 'utf8').catch(() => undefined);
          return monitorPage(report, yaml);
        } finally {
          session.close();
        }
      }
      case 'compareVersions': {
        const { root, model } = req.params;
        const registry = await openRegistry(root);
        const [a, b] = [await registry.getVersion(model, String(req.params.a)), await registry.getVersion(model, String(req.params.b))];
        const project = await loadProjectConfig(root);
        const m = project?.models.find((x) => x.name === model);
        const session = await DuckSession.open({ allowedDirectories: [root] });
        try {
          let source;
          let notes: string[] = [];
          if (req.params.data) source = await openSource(req.params.data, root);
          else if (project && m) ({ source, notes } = await heldOutSource(session, project, m, [a, b], abort.signal));
          else throw badInput(path.join(root, 'prodml.yaml'), `has no model "${model}" to take the evaluation data from`);
          const c = await compareVersions(session, a, b, source, { slices: m?.validation.slices, signal: abort.signal });
          return comparePage(c, notes);
        } finally {
          session.close();
        }
      }
      case 'runPipeline': {
        return await runPipeline(req.params.root, {
          step: req.params.step,
          trigger: 'manual',
          signal: abort.signal,
          onProgress: (p) => send({ id: req.id, progress: { fraction: p.fraction, phase: p.phase } }),
        });
      }
      case 'adviseServing': {
        const { root, model } = req.params;
        const session = await DuckSession.open({ allowedDirectories: [root] });
        try {
          const advice = await adviseServing(session, root, model, {
            ...(req.params.data ? { data: await openSource(req.params.data, root) } : {}),
            ...(req.params.key ? { key: req.params.key } : {}),
            signal: abort.signal,
            onProgress: (fraction, phase) => send({ id: req.id, progress: { fraction, phase } }),
          });
          return { ...advicePage(advice), recommendation: advice.recommendation };
        } finally {
          session.close();
        }
      }
      case 'staticTable': {
        const { root, model, input } = req.params;
        const registry = await openRegistry(root);
        const { version } = await resolveVersion(root, registry, model);
        const session = await DuckSession.open({ allowedDirectories: req.params.allowedDirectories });
        try {
          const r = await writeStaticTable(session, root, version, await openSource(input, root), {
            signal: abort.signal,
            onProgress: (fraction, phase) => send({ id: req.id, progress: { fraction, phase } }),
          });
          return { file: r.file, rows: r.rows, version: version.version, seconds: r.seconds };
        } finally {
          session.close();
        }
      }
      case 'importance': {
        const r = await featureImportance(req.params.root, req.params.model, {
          leaveOneOut: req.params.leaveOneOut,
          signal: abort.signal,
          onProgress: (p) => send({ id: req.id, progress: p }),
        });
        return importancePage(r);
      }
      case 'leakage': {
        const r = await leakageCheck(req.params.root, req.params.model, { signal: abort.signal, onProgress: (p) => send({ id: req.id, progress: p }) });
        return leakagePage(r);
      }
      case 'pipelineInfo': {
        const { pipeline } = await loadPipeline(req.params.root);
        return { model: pipeline.model, landing: pipeline.ingest?.from ?? null, watch: pipeline.triggers.watch !== undefined, everyHours: pipeline.triggers.schedule?.every_hours ?? null };
      }
      case 'tune': {
        const { root, model } = req.params;
        const r = await tuneModel(root, model, {
          ...(req.params.trials ? { trials: req.params.trials } : {}),
          signal: abort.signal,
          onProgress: (p) => send({ id: req.id, progress: { fraction: p.fraction, phase: p.phase } }),
          // Each finished trial redraws the page from the study on disk.
          onTrial: () =>
            void loadStudyResult(root, model)
              .then((partial) => send({ id: req.id, progress: { fraction: Math.min(1, partial.trials.length / Math.max(1, partial.trials.length + 1)), phase: `${partial.trials.length} trials done`, partial: tunePage(partial) } }))
              .catch(() => undefined),
        });
        return tunePage(r);
      }
      case 'registerBestTrial': {
        const r = await registerBestTrial(req.params.root, req.params.model, req.params.study, {
          signal: abort.signal,
          onProgress: (p) => p.phase !== 'training' && send({ id: req.id, progress: { fraction: 0, phase: p.message } }),
        });
        return { version: r.outcome.version, blessed: r.outcome.blessed, trial: r.trial.trial, candidate: r.alias?.to ?? null };
      }
      case 'cancel':
        running.get(req.params.target)?.abort();
        return { cancelled: req.params.target };
    }
  } finally {
    running.delete(req.id);
  }
}

process.on('message', (raw: unknown) => {
  const parsed = engineRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
    send({ id, error: { kind: 'internal', message: `engine: malformed request: ${parsed.error.message}` } });
    return;
  }
  const req = parsed.data;
  handle(req).then(
    (result) => send({ id: req.id, result }),
    (e: unknown) =>
      send({
        id: req.id,
        error: isProdmlError(e)
          ? { kind: e.kind, message: e.message }
          : { kind: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) },
      }),
  );
});

// The host going away must not leave an orphan engine behind.
process.on('disconnect', () => process.exit(0));
