/**
 * The engine process: the extension host forks it (node IPC) and sends it requests, so that
 * DuckDB's native code and heavy work never run on the extension host. Each method of the
 * protocol (src/protocol/engineMessages.ts) is one entry of the table below, which turns its
 * params into a workspace and a request for one operation of src/core/ops.
 */
import * as ops from '../core/ops';
import { advicePage, comparePage, importancePage, labelsPage, leakagePage, monitorPage, profileView, tunePage } from '../core/ops/pages';
import { isProdmlError } from '../core/ops/errors';
import { openWorkspace, type Workspace } from '../core/project/workspace';
import { engineMethods, engineRequestSchema, type EngineMethod, type EngineParams, type EngineProgress, type EngineResponse, type EngineResult } from '../protocol/engineMessages';

interface MethodContext {
  signal: AbortSignal;
  progress: (p: EngineProgress) => void;
}

type MethodTable = { [M in EngineMethod]: (params: EngineParams<M>, ctx: MethodContext) => Promise<EngineResult<M>> };

/** The workspace a request works in: its root, the folder paths are relative to, and what DuckDB may read. */
const ws = (p: { root?: string; cwd?: string; allowedDirectories?: string[] }): Promise<Workspace> =>
  openWorkspace({ workspace: p.root ?? p.cwd, cwd: p.cwd ?? p.root, readable: p.allowedDirectories ?? [] });

const methods: MethodTable = {
  profile: async (p, ctx) => {
    const result = await ops.profile(await ws(p), p, ctx);
    return { result, view: profileView(result) };
  },
  profileHtml: async (p, ctx) => {
    const w = await ws(p);
    return { out: await ops.writeProfileHtml(w, await ops.profile(w, p, ctx), p.out) };
  },
  columns: async (p) => ops.columns(await ws(p), p),
  inferSchema: async (p, ctx) => {
    const r = await ops.inferSchema(await ws(p), p, ctx);
    return { out: r.out ?? p.out, features: r.features };
  },
  models: async (p) => ({ models: (await ws(p)).project?.models.map((m) => m.name) ?? [] }),
  train: async (p, ctx) => {
    const o = await ops.train(await ws(p), { model: p.model }, ctx);
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
  },
  predict: async (p, ctx) => {
    const r = await ops.predict(await ws(p), { model: p.model, input: p.input, output: p.output }, ctx);
    return { rows: r.rows, output: r.output, seconds: r.seconds, version: r.version.version };
  },
  labels: async (p) => ops.addLabels(await ws(p), { model: p.model, file: p.file }),
  importModel: async (p, ctx) => {
    const { root: _root, allowedDirectories: _dirs, ...req } = p;
    const r = await ops.importModel(await ws(p), req, ctx);
    return { version: r.version, blessed: r.blessed, task: r.task, producer: r.producer, metrics: r.metrics, checks: r.checks };
  },
  monitor: async (p, ctx) => {
    const w = await ws(p);
    return monitorPage(await ops.monitor(w, { model: p.model }, ctx), await ops.projectText(w));
  },
  compareVersions: async (p, ctx) => {
    const r = await ops.compare(await ws(p), { model: p.model, a: p.a, b: p.b, ...(p.data ? { data: p.data } : {}) }, ctx);
    return comparePage(r.comparison, r.notes);
  },
  runPipeline: async (p, ctx) => ops.runPipeline(await ws(p), { ...(p.step ? { step: p.step } : {}) }, ctx),
  adviseServing: async (p, ctx) => {
    const advice = await ops.adviseServing(await ws(p), { model: p.model, ...(p.data ? { data: p.data } : {}), ...(p.key ? { key: p.key } : {}) }, ctx);
    return { ...advicePage(advice), recommendation: advice.recommendation };
  },
  staticTable: async (p, ctx) => {
    const r = await ops.staticTable(await ws(p), { model: p.model, input: p.input }, ctx);
    return { file: r.file, rows: r.rows, version: r.version.version, seconds: r.seconds };
  },
  importance: async (p, ctx) => importancePage(await ops.importance(await ws(p), { model: p.model, leaveOneOut: p.leaveOneOut }, ctx)),
  leakage: async (p, ctx) => leakagePage(await ops.leakage(await ws(p), { model: p.model }, ctx)),
  labelConsistency: async (p, ctx) => labelsPage(await ops.labelConsistency(await ws(p), { model: p.model }, ctx)),
  pipelineInfo: async (p) => ops.pipelineInfo(await ws(p)),
  tune: async (p, ctx) => {
    const w = await ws(p);
    const r = await ops.tune(
      w,
      {
        model: p.model,
        ...(p.trials ? { trials: p.trials } : {}),
        // Each finished trial redraws the page from the study on disk.
        onTrial: () =>
          void ops
            .studyResult(w, { model: p.model })
            .then((partial) => ctx.progress({ fraction: Math.min(1, partial.trials.length / Math.max(1, partial.trials.length + 1)), phase: `${partial.trials.length} trials done`, partial: tunePage(partial) }))
            .catch(() => undefined),
      },
      ctx,
    );
    return tunePage(r);
  },
  export: async (p, ctx) => {
    const r = await ops.exportModel(await ws(p), { model: p.model, format: p.format, out: p.out }, ctx);
    return { model: r.model, version: r.version, format: r.format, path: r.path, sha256: r.sha256 };
  },
  registerBestTrial: async (p, ctx) => {
    const r = await ops.registerBestTrial(await ws(p), { model: p.model, study: p.study }, { signal: ctx.signal, progress: (x) => !x.epoch && ctx.progress(x) });
    return { version: r.outcome.version, blessed: r.outcome.blessed, trial: r.trial.trial, candidate: r.alias?.to ?? null };
  },
  validate: async (p, ctx) => {
    const r = await ops.validate(await ws(p), { data: p.data, ...(p.schema !== undefined ? { schema: p.schema } : {}) }, ctx);
    const anomalies = r.anomalies.map((a) => ({
      feature: a.feature,
      type: a.type,
      severity: a.severity,
      description: a.description,
      ...(a.file !== undefined ? { file: a.file } : {}),
      ...(a.line !== undefined ? { line: a.line } : {}),
      ...(a.column !== undefined ? { column: a.column } : {}),
      ...(a.count !== undefined ? { count: a.count } : {}),
    }));
    return { source: r.source, rows: r.rows, schema: r.schema, anomalies };
  },
};

const running = new Map<number, AbortController>();

function send(msg: EngineResponse): void {
  process.send?.(msg);
}

async function call<M extends EngineMethod>(method: M, rawParams: unknown, id: number, signal: AbortSignal): Promise<EngineResult<M>> {
  const parsed = engineMethods[method].params.safeParse(rawParams);
  if (!parsed.success) throw Object.assign(new Error(`engine: malformed params for ${method}: ${parsed.error.message}`), { kind: 'internal' });
  const handler = methods[method] as (params: unknown, ctx: MethodContext) => Promise<EngineResult<M>>;
  return handler(parsed.data, { signal, progress: (progress) => send({ id, progress }) });
}

process.on('message', (raw: unknown) => {
  const parsed = engineRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : -1;
    send({ id, error: { kind: 'internal', message: `engine: malformed request: ${parsed.error.message}` } });
    return;
  }
  const req = parsed.data;
  if (req.method === 'cancel') {
    running.get(req.params.target)?.abort();
    return;
  }
  const abort = new AbortController();
  running.set(req.id, abort);
  call(req.method, req.params, req.id, abort.signal)
    .then(
      (result) => send({ id: req.id, result }),
      (e: unknown) =>
        send({
          id: req.id,
          error: isProdmlError(e) ? { kind: e.kind, message: e.message } : { kind: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) },
        }),
    )
    .finally(() => running.delete(req.id));
});

// The host going away must not leave an orphan engine behind.
process.on('disconnect', () => process.exit(0));
