/**
 * `prodml serve`: the TensorFlow-Serving-compatible REST API over the registry's models.
 *
 *   GET  /v1/models/<m>                               status (model_version_status, TF Serving's shape)
 *   GET  /v1/models/<m>/versions/<v> | /labels/<a>    status of one version
 *   GET  /v1/models/<m>/metadata                      inputs, task, classes, versions serving
 *   POST /v1/models/<m>:predict                       {"instances": [{...}]} → {"predictions": [...]}
 *   POST /v1/models/<m>/versions/<v>:predict          pinned to a version
 *   POST /v1/models/<m>/labels/<alias>:predict        pinned to an alias
 *   GET  /healthz, GET /metrics, GET /v1/models
 *
 * Each model serves its `serving.alias` (canary and shadow beside it) and follows the registry
 * (servedModel.ts). Every scored instance is queued for the prediction log (predictionLog.ts);
 * the response never waits for the log, and shadow scoring runs after the response is sent.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Fastify, { type FastifyError, type FastifyReply } from 'fastify';
import { badInput } from '../errors';
import { DEFAULT_SERVER, loadProjectConfig, type ModelServingConfig } from '../project/config';
import { openRegistry } from '../registry';
import { isProblem, type InstanceProblem } from './instanceCheck';
import { logsDir } from './logPaths';
import type { PredictionRecord, Route } from './logTypes';
import { MetricsRecorder, type ServerMetrics } from './metrics';
import { PredictionLog } from './predictionLog';
import { routesToCanary } from './routing';
import { predictionValue } from './scorer';
import { NotServable, ServedModel, type LoadedVersion, type ModelErrorEvent, type SwapEvent } from './servedModel';

export type { ServerMetrics } from './metrics';

export interface ListeningEvent {
  event: 'listening';
  url: string;
  models: { model: string; version: number; alias: string; canary?: { version: number; alias: string; percent: number }; shadow?: { version: number; alias: string } }[];
}

export type ServerEvent = ListeningEvent | SwapEvent | ModelErrorEvent;

export interface ServerOptions {
  /** The workspace: prodml.yaml and .prodml/ live here. */
  root: string;
  /** Default: prodml.yaml `serving.host`, else 127.0.0.1. */
  host?: string;
  /** Default: prodml.yaml `serving.port`, else 8501; 0 picks a free port. */
  port?: number;
  /** Serve only these models (default: every prodml.yaml model with a registered version). */
  models?: string[];
  onEvent?: (e: ServerEvent) => void;
  /** How often each model's registry aliases are checked for a promotion or rollback. Default 300 ms. */
  pollMs?: number;
  /** Tests: how long log lines wait to be batched. */
  logFlushMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
  metrics(): ServerMetrics;
}

const DEFAULT_MODEL_SERVING: ModelServingConfig = { alias: 'production', log: { sample_rate: 1, max_file_mb: 64 } };
const REQUEST_ID = /^[\w.:-]{1,128}$/;

interface Served {
  model: ServedModel;
  log: PredictionLog;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const root = path.resolve(opts.root);
  const config = await loadProjectConfig(root);
  const registry = await openRegistry(root);
  const registered = new Set((await registry.listModels()).filter((m) => m.versions > 0).map((m) => m.model));
  const configured = new Map((config?.models ?? []).map((m) => [m.name, m.serving]));
  let names: string[];
  if (opts.models && opts.models.length > 0) {
    for (const m of opts.models) {
      if (!registered.has(m)) throw badInput(undefined, `model '${m}' has no registered version to serve (registered: ${[...registered].join(', ') || 'none'}); train it first: prodml train ${m}`);
    }
    names = [...new Set(opts.models)];
  } else {
    names = configured.size > 0 ? [...configured.keys()].filter((m) => registered.has(m)) : [...registered];
    if (names.length === 0) throw badInput(root, `has no registered model version to serve${configured.size ? ` (prodml.yaml models: ${[...configured.keys()].join(', ')})` : ''}; train one first: prodml train`);
  }

  const serverCfg = { ...DEFAULT_SERVER, ...(config?.serving ?? {}) };
  const emit = (e: ServerEvent) => {
    if (e.event === 'swapped') metrics.swapped(e.model);
    opts.onEvent?.(e);
  };
  const metrics = new MetricsRecorder();
  const served = new Map<string, Served>();
  try {
    for (const name of names) {
      const cfg = configured.get(name) ?? DEFAULT_MODEL_SERVING;
      const model = new ServedModel(name, cfg, registry, emit, root);
      served.set(name, { model, log: new PredictionLog({ dir: logsDir(root, name), maxFileBytes: cfg.log.max_file_mb * 1024 * 1024, ...(opts.logFlushMs !== undefined ? { flushDelayMs: opts.logFlushMs } : {}) }) });
      await model.start();
    }
  } catch (e) {
    await Promise.all([...served.values()].map((s) => s.model.close()));
    throw e;
  }

  const bootId = randomBytes(4).toString('hex');
  let requestCounter = 0;
  let shadowPending = 0;
  let shadowDone: (() => void) | undefined;

  const app = Fastify({
    logger: false,
    bodyLimit: serverCfg.body_limit_kb * 1024,
    return503OnClosing: true,
    // A client's own x-request-id is kept (it may join labels by it); otherwise boot id + counter.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : `${bootId}-${(++requestCounter).toString(36)}`;
    },
  });
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    done();
  });
  // One JSON parser for every content type: curl -d sends form-urlencoded by default, and TF
  // Serving reads any body as JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(Object.assign(new Error(`the body is not valid JSON (${(e as Error).message})`), { statusCode: 400 }), undefined);
    }
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode ?? 500;
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `the body is over the ${serverCfg.body_limit_kb} KB limit (serving.body_limit_kb in prodml.yaml); send fewer instances per request`;
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no such endpoint: ${req.method} ${req.url} (try POST /v1/models/<model>:predict)` });
  });
  app.addHook('onResponse', (req, reply, done) => {
    const url = req.routeOptions.url;
    if (url !== '/metrics' && url !== '/healthz') {
      metrics.request(reply.statusCode);
      if (req.method === 'POST' && url === '/v1/models/*') metrics.latency(reply.elapsedTime);
    }
    done();
  });

  const describeServed = () =>
    [...served.values()].map(({ model }) => {
      const d = model.deployment;
      return {
        model: model.name,
        version: d.primary.version,
        alias: d.primaryAlias,
        ...(d.canary ? { canary: { version: d.canary.lv.version, alias: d.canary.alias, percent: d.canary.percent } } : {}),
        ...(d.shadow ? { shadow: { version: d.shadow.lv.version, alias: d.shadow.alias } } : {}),
      };
    });
  const logStats = () => {
    const t = { written: 0, dropped: 0, queued: 0 };
    for (const { log } of served.values()) {
      t.written += log.stats.written;
      t.dropped += log.stats.dropped;
      t.queued += log.stats.queued;
    }
    return t;
  };

  app.get('/healthz', async () => ({ status: 'ok', models: describeServed() }));
  app.get('/metrics', async () => metrics.snapshot(logStats()));
  app.get('/v1/models', async () => ({ models: describeServed() }));

  app.get('/v1/models/*', async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const m = /^([^/:]+)(?:\/(versions|labels)\/([^/:]+)|\/(metadata))?$/.exec(rest);
    const s = m ? served.get(m[1]!) : undefined;
    if (!m || !s) return notFound(reply, m ? unknownModel(m[1]!) : `no such endpoint: GET ${req.url}`);
    const model = s.model;
    const status = (v: number) => ({ version: String(v), state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } });
    if (m[4]) {
      const d = model.deployment;
      const lv = d.primary;
      return {
        model_spec: { name: model.name, version: String(lv.version), alias: d.primaryAlias },
        metadata: {
          task: lv.scorer.task,
          ...(lv.scorer.classes ? { classes: lv.scorer.classes } : {}),
          inputs: lv.scorer.inputs,
          schema: lv.schema ?? null,
          key: model.config.key ?? null,
          static: lv.static ? { keys: lv.static.values.size, file: path.relative(root, lv.static.file) } : null,
          serving: describeServed().find((x) => x.model === model.name),
          aliases: d.aliases,
        },
      };
    }
    if (m[2]) {
      try {
        const lv = await model.pinned(m[2] === 'versions' ? { version: versionNumber(m[3]!) } : { alias: m[3]! });
        return { model_version_status: [status(lv.version)] };
      } catch (e) {
        if (e instanceof NotServable) return notFound(reply, e.message);
        throw e;
      }
    }
    const d = model.deployment;
    const versions = [...new Set([d.primary.version, d.canary?.lv.version, d.shadow?.lv.version].filter((v): v is number => v !== undefined))].sort((a, b) => b - a);
    return { model_version_status: versions.map(status) };
  });

  app.post('/v1/models/*', async (req, reply) => {
    const received = Date.now();
    const rid = req.id;
    const rest = (req.params as { '*': string })['*'];
    const m = /^([^/:]+)(?:\/(versions|labels)\/([^/:]+))?:(\w+)$/.exec(rest);
    if (!m) return notFound(reply, `no such endpoint: POST ${req.url} (try POST /v1/models/<model>:predict)`);
    const s = served.get(m[1]!);
    if (!s) return notFound(reply, unknownModel(m[1]!));
    if (m[4] !== 'predict') return badRequest(reply, { rule: 'bad_body', message: `:${m[4]} is not supported; use :predict with {"instances": [...]}` });

    let pinned: LoadedVersion | undefined;
    let pinnedAs: string | undefined;
    if (m[2]) {
      try {
        pinned = await s.model.pinned(m[2] === 'versions' ? { version: versionNumber(m[3]!) } : { alias: m[3]! });
        pinnedAs = `${m[2]}/${m[3]}`;
      } catch (e) {
        if (e instanceof NotServable) return notFound(reply, e.message);
        throw e;
      }
    }
    // From here to the reply, no await: this request scores on exactly these versions.
    const d = s.model.deployment;
    const primary = pinned ?? d.primary;
    const instances = primary.check.body(req.body);
    if (isProblem(instances)) return badRequest(reply, instances);
    const cfg = s.model.config;
    const canary = pinned ? undefined : d.canary;
    const n = instances.length;
    const keys: (string | undefined)[] = new Array(n);
    let toCanary: boolean[] | undefined;
    for (let i = 0; i < n; i++) {
      const problem = primary.check.instance(instances[i], i);
      if (problem) return badRequest(reply, problem);
      const kv = cfg.key === undefined ? undefined : instances[i]![cfg.key];
      keys[i] = kv === undefined || kv === null ? undefined : String(kv);
      if (canary && routesToCanary(keys[i] ?? rid, canary.percent)) {
        const problem = canary.lv.check.instance(instances[i], i);
        if (problem) return badRequest(reply, problem);
        (toCanary ??= new Array<boolean>(n).fill(false))[i] = true;
      }
    }

    const predictions: (number | Record<string, number>)[] = new Array(n);
    const versions: number[] = new Array(n);
    const groups: { lv: LoadedVersion; route: Route; idx: number[] }[] = [];
    if (!toCanary) groups.push({ lv: primary, route: 'primary', idx: [] });
    else {
      const p: number[] = [];
      const c: number[] = [];
      toCanary.forEach((yes, i) => (yes ? c : p).push(i));
      if (p.length) groups.push({ lv: primary, route: 'primary', idx: p });
      if (c.length) groups.push({ lv: canary!.lv, route: 'canary', idx: c });
    }
    const sample = cfg.log.sample_rate;
    const logged: boolean[] = new Array(n);
    for (let i = 0; i < n; i++) logged[i] = sample >= 1 || Math.random() < sample;
    const time = new Date(received).toISOString();
    const day = time.slice(0, 10);
    const lines: string[] = [];
    // Static serving: instances whose key is in the answering version's own table are answered
    // from it (advise/staticTable.ts); only the others are scored.
    let staticHits = 0;
    let staticLooked = 0;
    for (const g of groups) {
      let idx = g.idx.length === 0 ? null : g.idx;
      const table = g.lv.static;
      if (table) {
        const all = idx ?? instances.map((_, i) => i);
        const missed: number[] = [];
        for (const i of all) {
          const hit = keys[i] === undefined ? undefined : table.values.get(keys[i]!);
          if (hit === undefined) {
            missed.push(i);
            continue;
          }
          predictions[i] = hit;
          versions[i] = g.lv.version;
          if (logged[i]) lines.push(record(rid, i, time, s.model.name, g.lv.version, g.route, keys[i], instances[i]!, hit, pinnedAs, true));
        }
        staticLooked += all.length;
        staticHits += all.length - missed.length;
        idx = missed;
      }
      const rows = idx === null ? instances : idx.map((i) => instances[i]!);
      const out = rows.length > 0 ? g.lv.scorer.score(rows) : new Float32Array(0);
      for (let j = 0; j < rows.length; j++) {
        const i = idx === null ? j : idx[j]!;
        predictions[i] = predictionValue(g.lv.scorer, out, j);
        versions[i] = g.lv.version;
        if (logged[i]) lines.push(record(rid, i, time, s.model.name, g.lv.version, g.route, keys[i], instances[i]!, predictions[i]!, pinnedAs));
      }
      metrics.predicted(s.model.name, pinnedAs ? 'pinned' : g.route, g.lv.version, g.idx.length === 0 ? n : g.idx.length);
    }
    s.log.append(lines, day);

    const shadow = pinned ? undefined : d.shadow;
    if (shadow) {
      shadowPending++;
      setImmediate(() => {
        try {
          // Rows the shadow version cannot read (its inputs differ) are skipped, never an error.
          const idx: number[] = [];
          for (let i = 0; i < n; i++) if (!shadow.lv.check.instance(instances[i], i)) idx.push(i);
          if (idx.length === 0 || shadow.lv.disposed) return;
          const out = shadow.lv.scorer.score(idx.map((i) => instances[i]!));
          const shadowLines: string[] = [];
          idx.forEach((i, j) => {
            if (logged[i]) shadowLines.push(record(rid, i, time, s.model.name, shadow.lv.version, 'shadow', keys[i], instances[i]!, predictionValue(shadow.lv.scorer, out, j)));
          });
          s.log.append(shadowLines, day);
          metrics.predicted(s.model.name, 'shadow', shadow.lv.version, idx.length);
        } catch {
          // A shadow failure never reaches the client.
        } finally {
          if (--shadowPending === 0) shadowDone?.();
        }
      });
    }
    const first = versions[0]!;
    void reply.header('x-model-version', versions.every((v) => v === first) ? String(first) : versions.join(','));
    if (staticLooked > 0) {
      void reply.header('x-prodml-static', staticHits === n ? 'hit' : staticHits === 0 ? 'miss' : 'partial');
      void reply.header('x-prodml-static-hits', `${staticHits}/${n}`);
    }
    return { predictions };
  });

  const port = opts.port ?? serverCfg.port;
  const host = opts.host ?? serverCfg.host;
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (e) {
    await Promise.all([...served.values()].map((s) => s.model.close()));
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw badInput(undefined, `port ${port} on ${host} is in use: stop what listens there or pass --port (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw badInput(undefined, `cannot listen on host ${host}: it is not an address of this machine`);
    throw e;
  }
  const boundPort = (app.server.address() as { port: number }).port;
  const url = address.replace('[::1]', 'localhost');
  for (const { model } of served.values()) model.watch(opts.pollMs ?? 300);
  opts.onEvent?.({ event: 'listening', url, models: describeServed() });

  let closing: Promise<void> | undefined;
  return {
    url,
    port: boundPort,
    metrics: () => metrics.snapshot(logStats()),
    close: () =>
      (closing ??= (async () => {
        await app.close();
        if (shadowPending > 0) await new Promise<void>((resolve) => (shadowDone = resolve));
        await Promise.all([...served.values()].map(async ({ model, log }) => {
          await log.close();
          await model.close();
        }));
      })()),
  };

  function unknownModel(name: string): string {
    return `model '${name}' is not served here (serving: ${[...served.keys()].join(', ')})`;
  }
}

function record(rid: string, i: number, time: string, model: string, version: number, route: Route, key: string | undefined, inputs: Record<string, unknown>, prediction: number | Record<string, number>, pinned?: string, fromTable?: boolean): string {
  const r: PredictionRecord = { request_id: `${rid}-${i}`, time, model, version, route, ...(key !== undefined ? { key } : {}), inputs, prediction, ...(pinned ? { pinned } : {}), ...(fromTable ? { static: true } : {}) };
  return JSON.stringify(r);
}

function versionNumber(text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v) || v < 1) throw new NotServable(`'${text}' is not a version number (versions are 1, 2, ...)`);
  return v;
}

function notFound(reply: FastifyReply, message: string) {
  return reply.code(404).send({ error: message });
}

function badRequest(reply: FastifyReply, p: InstanceProblem) {
  return reply.code(400).send({ error: p.message, rule: p.rule, ...(p.instance !== undefined ? { instance: p.instance } : {}), ...(p.field !== undefined ? { field: p.field } : {}) });
}
