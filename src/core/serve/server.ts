/**
 * `prodml serve`: the TensorFlow-Serving-compatible REST API over the registry's models.
 *
 *   GET  /v1/models/<m>                               status (model_version_status, TF Serving's shape)
 *   GET  /v1/models/<m>/versions/<v> | /labels/<a>    status of one version
 *   GET  /v1/models/<m>[/versions/<v>|/labels/<a>]/metadata   signature_def (metadata.ts)
 *   POST /v1/models/<m>[/versions/<v>|/labels/<a>]:predict    row or columnar (requestFormat.ts)
 *   POST /v1/models/<m>[...]:classify | :regress      {"examples": [...]} → {"result": [...]}
 *   GET  /healthz, GET /metrics, GET /v1/models
 *
 * The answer itself is a pure function (answer.ts) of the served versions and the body; this file
 * is the HTTP around it: parsing, routes, the log, metrics and shadow scoring after the response.
 * Each model serves its `serving.alias` (canary and shadow beside it) and follows the registry
 * (servedModel.ts). Every scored instance is queued for the prediction log (predictionLog.ts);
 * the response never waits for the log, and shadow scoring runs after the response is sent.
 * A plain scoring request (no pin, a declared body length) is answered by fastScore in front of
 * fastify, with the same respond(); everything else goes through fastify's routes.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { badInput } from '../errors';
import { DEFAULT_SERVER, loadProjectConfig, type ModelServingConfig } from '../project/config';
import { openRegistry } from '../registry';
import { answer, scoreShadow, type AnswerRequest } from './answer';
import { AnswerBatch } from './answerBatch';
import { modelEndpoint, pinName, type Pin } from './endpoints';
import { BodyTooDeep, parseJsonBody } from './jsonBody';
import { logsDir } from './logPaths';
import { MetricsRecorder, type ServerMetrics } from './serverMetrics';
import { metadataBody } from './metadata';
import { PredictionLog } from './predictionLog';
import { VERBS, type Verb } from './requestFormat';
import { errorAnswer } from './responseShape';
import { NotServable, ServedModel, type LoadedVersion, type ModelErrorEvent, type SwapEvent } from './servedModel';

export type { ServerMetrics } from './serverMetrics';

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
const MODELS_PREFIX = '/v1/models/';
/** What fastify gives its own http server (its keepAliveTimeout default). */
const FASTIFY_KEEP_ALIVE_MS = 72_000;

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
  // Fields prodml.yaml names for a model are accepted in requests besides its inputs: the key, the
  // label (replays send it), the time columns monitoring windows by.
  const accepted = new Map((config?.models ?? []).map((m) => [m.name, [m.serving.key, m.label, m.monitoring.time_column, m.dataset.time_column, m.weighting?.column].filter((f): f is string => !!f)]));
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
      const model = new ServedModel(name, cfg, registry, emit, root, accepted.get(name) ?? (cfg.key ? [cfg.key] : []));
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

  const bodyLimit = serverCfg.body_limit_kb * 1024;
  let closingNow = false;
  const answers = new AnswerBatch();
  const app = Fastify({
    logger: false,
    // Fastify's own http server settings (keepAliveTimeout, requestTimeout), with fastScore in front.
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (!fastScore(req, res)) handler(req, res);
      });
      server.keepAliveTimeout = FASTIFY_KEEP_ALIVE_MS;
      server.requestTimeout = 0;
      return server;
    },
    bodyLimit,
    return503OnClosing: true,
    // A client's own x-request-id is kept (it may join labels by it); otherwise boot id + counter.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : `${bootId}-${(++requestCounter).toString(36)}`;
    },
  });
  // Every answer carries its request id. Set by each handler rather than by an onRequest hook,
  // which would cost every request a pass through fastify's hook runner.
  const tagged = (req: FastifyRequest, reply: FastifyReply) => reply.header('x-request-id', req.id);
  // One JSON parser for every content type: curl -d sends form-urlencoded by default, and TF
  // Serving reads any body as JSON.
  app.removeAllContentTypeParsers();
  const parseBody = (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const parsed = parseBodyText(body as string);
    if (parsed instanceof Error) done(Object.assign(parsed, { statusCode: 400 }), undefined);
    else done(null, parsed);
  };
  // application/json by name too: fastify caches a named type's parser, while the catch-all
  // re-parses the content-type header on every request.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseBody);
  app.addContentTypeParser('*', { parseAs: 'string' }, parseBody);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    tagged(req, reply);
    const status = err.statusCode ?? 500;
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      message = `the body is over the ${serverCfg.body_limit_kb} KB limit (serving.body_limit_kb in prodml.yaml); send fewer instances per request`;
      discardRest(req.raw, reply);
    }
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => {
    tagged(req, reply);
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

  app.get('/healthz', async (req, reply) => {
    tagged(req, reply);
    return { status: 'ok', models: describeServed() };
  });
  app.get('/metrics', async (req, reply) => {
    tagged(req, reply);
    return metrics.snapshot(logStats());
  });
  app.get('/v1/models', async (req, reply) => {
    tagged(req, reply);
    return { models: describeServed() };
  });

  app.get('/v1/models/*', async (req, reply) => {
    tagged(req, reply);
    const e = modelEndpoint('GET', (req.params as { '*': string })['*']);
    const s = e ? served.get(e.model) : undefined;
    if (!e || !s) return notFound(reply, e ? unknownModel(e.model) : `no such endpoint: GET ${req.url}`);
    const model = s.model;
    const status = (v: number) => ({ version: String(v), state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } });
    let lv: LoadedVersion | undefined;
    if (e.pin) {
      try {
        lv = await pinnedVersion(model, e.pin);
      } catch (err) {
        if (err instanceof NotServable) return notFound(reply, err.message);
        throw err;
      }
    }
    const d = model.deployment;
    if (e.kind === 'metadata') {
      const shown = lv ?? d.primary;
      return metadataBody(model.name, shown, {
        ...(e.pin ? { pinned: pinName(e.pin) } : { alias: d.primaryAlias }),
        schema: shown.schema ?? null,
        key: model.config.key ?? null,
        static: shown.static ? { keys: shown.static.values.size, file: path.relative(root, shown.static.file) } : null,
        serving: describeServed().find((x) => x.model === model.name),
        aliases: d.aliases,
      });
    }
    if (lv) return { model_version_status: [status(lv.version)] };
    const versions = [...new Set([d.primary.version, d.canary?.lv.version, d.shadow?.lv.version].filter((v): v is number => v !== undefined))].sort((a, b) => b - a);
    return { model_version_status: versions.map(status) };
  });

  app.post('/v1/models/*', async (req, reply) => {
    const received = Date.now();
    tagged(req, reply);
    const e = modelEndpoint('POST', (req.params as { '*': string })['*']);
    if (!e || e.kind !== 'verb') return notFound(reply, `no such endpoint: POST ${req.url} (try POST /v1/models/<model>:predict)`);
    const s = served.get(e.model);
    if (!s) return notFound(reply, unknownModel(e.model));
    if (!(VERBS as readonly string[]).includes(e.verb)) {
      return send(reply, errorAnswer(400, { rule: 'bad_body', message: `:${e.verb} is not an API; use :predict, :classify or :regress` }));
    }
    let pinned: AnswerRequest['pinned'];
    if (e.pin) {
      try {
        pinned = { lv: await pinnedVersion(s.model, e.pin), as: pinName(e.pin) };
      } catch (err) {
        if (err instanceof NotServable) return notFound(reply, err.message);
        throw err;
      }
    }
    const a = respond(s, e.verb as Verb, req.body, req.id, received, pinned);
    if (a.status !== 200) return send(reply, a);
    for (const h in a.headers) void reply.header(h, a.headers[h]);
    return a.body;
  });

  /**
   * The answer to one scoring request, and what follows from it: metrics, log lines, shadow
   * scoring after the response. From receipt to here, no await: the request scores on exactly
   * the versions it was given.
   */
  function respond(s: Served, verb: Verb, body: unknown, requestId: string, received: number, pinned?: AnswerRequest['pinned'], bodyText?: string) {
    const a = answer({ name: s.model.name, config: s.model.config, deployment: s.model.deployment }, { verb, body, requestId, receivedAt: received, ...(pinned ? { pinned } : {}), ...(bodyText !== undefined ? { bodyText } : {}) });
    if (a.status !== 200) return a;
    for (const c of a.counts) metrics.predicted(s.model.name, c.route, c.version, c.n);
    for (const field in a.oov) metrics.outOfDomain(s.model.name, field, a.oov[field]!);
    s.log.append(a.lines, a.day);
    const shadow = a.shadow;
    if (shadow) {
      shadowPending++;
      answers.afterAnswers(() => {
        try {
          const r = scoreShadow(s.model.name, requestId, shadow);
          if (r.n > 0) {
            s.log.append(r.lines, a.day);
            metrics.predicted(s.model.name, 'shadow', shadow.lv.version, r.n);
          }
        } catch {
          // A shadow failure never reaches the client.
        } finally {
          if (--shadowPending === 0) shadowDone?.();
        }
      });
    }
    return a;
  }

  /**
   * The hot path, in front of fastify: a POST /v1/models/<model>:<verb> to a served model, with
   * a body whose declared length is within the limit, is read, parsed and answered here, without
   * fastify's router, content-type parser, hooks and reply (together about a fifth of a
   * single-row request's cost in bench:serve), and written with the rest of its event-loop turn's
   * answers (answerBatch.ts). The answer is the same function's; anything else
   * (pinned versions, chunked or oversized bodies, query strings, other routes, a closing
   * server) returns false and goes through fastify as before.
   */
  function fastScore(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || closingNow) return false;
    const url = req.url ?? '';
    const verbAt = url.lastIndexOf(':');
    if (!url.startsWith(MODELS_PREFIX) || verbAt < 0 || url.indexOf('/', MODELS_PREFIX.length) >= 0 || url.includes('?') || url.includes('%')) return false;
    const verb = url.slice(verbAt + 1);
    const s = served.get(url.slice(MODELS_PREFIX.length, verbAt));
    if (!s || !(VERBS as readonly string[]).includes(verb)) return false;
    const length = req.headers['content-length'];
    if (length === undefined || req.headers['transfer-encoding'] !== undefined || !(Number(length) <= bodyLimit)) return false;
    const received = Date.now();
    const t0 = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : `${bootId}-${(++requestCounter).toString(36)}`;
    // A small body arrives in one chunk: decoded once, without a stream decoder.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    req.on('data', (chunk: Buffer) => {
      if (!first) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('end', () => {
      let status: number;
      let out: string;
      const head: string[] = ['x-request-id', id, 'content-type', 'application/json; charset=utf-8'];
      const text = more ? Buffer.concat(more).toString('utf8') : (first?.toString('utf8') ?? '');
      const body = parseBodyText(text);
      if (body instanceof Error) {
        status = 400;
        out = JSON.stringify({ error: body.message });
      } else {
        try {
          const a = respond(s, verb as Verb, body, id, received, undefined, text);
          status = a.status;
          out = a.text ?? JSON.stringify(a.body);
          for (const h in a.headers) head.push(h, a.headers[h]!);
        } catch (e) {
          // As fastify's error handler answers a handler that throws: 500, and the server goes on.
          status = 500;
          out = JSON.stringify({ error: (e as Error).message });
        }
      }
      head.push('content-length', String(Buffer.byteLength(out)));
      answers.add({ res, status, head, body: out, sent: (code) => {
        metrics.request(code);
        metrics.latency(performance.now() - t0);
      } });
    });
    return true;
  }

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
        closingNow = true;
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

function pinnedVersion(model: ServedModel, pin: Pin): Promise<LoadedVersion> {
  return model.pinned('version' in pin ? { version: versionNumber(pin.version) } : { alias: pin.alias });
}

function versionNumber(text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v) || v < 1) throw new NotServable(`'${text}' is not a version number (versions are 1, 2, ...)`);
  return v;
}

/** How long the rest of a body over the limit is read and thrown away before the connection is closed. */
const DISCARD_MS = 10_000;

/**
 * The client of a body over the limit is usually still sending it when the 413 goes out (a
 * chunked body has no length to refuse it by). Closing the connection then, as fastify does,
 * resets it with the rest unread, and the client gets EPIPE instead of the answer. So the
 * connection stays open and the rest of the body is read and dropped as it arrives (memory stays
 * flat), as a lingering close does; a client still sending after DISCARD_MS is cut off.
 */
function discardRest(raw: IncomingMessage, reply: FastifyReply): void {
  if (raw.complete) return;
  void reply.removeHeader('connection');
  raw.resume();
  const socket = raw.socket;
  const timer = setTimeout(() => socket.destroy(), DISCARD_MS);
  timer.unref();
  const done = () => clearTimeout(timer);
  raw.once('end', done);
  raw.once('close', done);
}

/** A request body as JSON (parseJsonBody), undefined when it is empty, or the Error to answer 400 with. */
function parseBodyText(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseJsonBody(text);
  } catch (e) {
    if (e instanceof BodyTooDeep) return new Error(e.message);
    return new Error(`the body is not valid JSON (${(e as Error).message})`);
  }
}

function notFound(reply: FastifyReply, message: string) {
  return reply.code(404).send({ error: message });
}

function send(reply: FastifyReply, a: { status: number; body: unknown }) {
  return reply.code(a.status).send(a.body);
}
