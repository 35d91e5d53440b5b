/**
 * The answer to one :predict, :classify or :regress request, as a pure function of the served
 * versions and the request: the status and body, plus what the server must record (log lines,
 * counts, out-of-domain fields) and the shadow work to do after responding. No I/O and no await:
 * a request scores on exactly the versions it was given.
 */
import type { ModelServingConfig } from '../project/config';
import type { Route } from './logTypes';
import { isProblem, type InstanceProblem } from './instanceCheck';
import { singleInstanceText } from './instanceText';
import { readRequest, type Verb } from './requestFormat';
import { errorAnswer, numberJson, shapeAnswer, verbMismatch, type Prediction } from './responseShape';
import { routesToCanary } from './routing';
import { predictionValue } from './scorer';
import type { Deployment, LoadedVersion } from './servedModel';

export interface ModelView {
  name: string;
  config: ModelServingConfig;
  deployment: Deployment;
}

export interface AnswerRequest {
  verb: Verb;
  body: unknown;
  requestId: string;
  /** Epoch ms the request arrived (the records' time). */
  receivedAt: number;
  /** A version the client pinned (`versions/3`, `labels/candidate`): then no canary and no shadow. */
  pinned?: { lv: LoadedVersion; as: string };
  /** The body's text, when it parsed as plain JSON: log lines then quote each row as sent (instanceText.ts). */
  bodyText?: string;
}

export interface ShadowJob {
  lv: LoadedVersion;
  rows: Record<string, unknown>[];
  keys: (string | undefined)[];
  logged: boolean[];
  time: string;
  /** The single row's text, as the client sent it (instanceText.ts). */
  text?: string;
}

export interface Answer {
  status: number;
  body: unknown;
  /** JSON.stringify(body), when already written. */
  text?: string;
  headers: Record<string, string>;
  /** Prediction log lines, all on `day`: each one's JSON text is String(line), made when the log writes it. */
  lines: LogRecord[];
  day: string;
  /** Scored instances by route and version, for the metrics. */
  counts: { route: string; version: number; n: number }[];
  /** Instances with a category outside the model's domain, by field. */
  oov: Record<string, number>;
  shadow?: ShadowJob;
}

/**
 * Online serving answers thousands of requests a second on one thread, so this path keeps to
 * fixed-shape objects and builds log lines by concatenation (record()); bench:serve measures it
 * against an empty fastify route.
 */
export function answer(model: ModelView, req: AnswerRequest, random: () => number = Math.random): Answer {
  const d = model.deployment;
  const primary = req.pinned?.lv ?? d.primary;
  const time = isoTime(req.receivedAt);
  const day = time.slice(0, 10);
  const refuse = (p: InstanceProblem): Answer => {
    const e = errorAnswer(400, p);
    return { status: e.status, body: e.body, headers: {}, lines: [] as LogRecord[], day, counts: [], oov: {} };
  };

  const wrongVerb = verbMismatch(req.verb, model.name, primary.scorer.task);
  if (wrongVerb) return refuse(wrongVerb);
  const read = readRequest(req.verb, req.body, primary.scorer.inputs);
  if (isProblem(read)) return refuse(read);
  const cfg = model.config;
  const canary = req.pinned ? undefined : d.canary;
  const instances = read.rows as Record<string, unknown>[];
  const n = instances.length;
  const keys: (string | undefined)[] = new Array(n);
  const oov: Record<string, number> = {};
  let toCanary: boolean[] | undefined;
  const checkPrimary = canary ? { place: read.place, alsoKnown: canary.lv.check.known } : { place: read.place };
  const checkCanary = canary ? { place: read.place, alsoKnown: primary.check.known } : undefined;
  for (let i = 0; i < n; i++) {
    const problem = primary.check.instance(instances[i], i, checkPrimary);
    if (problem) return refuse(problem);
    const kv = cfg.key === undefined ? undefined : instances[i]![cfg.key];
    keys[i] = kv === undefined || kv === null ? undefined : String(kv);
    if (canary && routesToCanary(keys[i] ?? req.requestId, canary.percent)) {
      const problem = canary.lv.check.instance(instances[i], i, checkCanary);
      if (problem) return refuse(problem);
      (toCanary ??= new Array<boolean>(n).fill(false))[i] = true;
    }
  }

  const predictions: Prediction[] = new Array(n);
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
  const text = n === 1 && sample > 0 && req.bodyText !== undefined && read.format === 'row' && onlyInstances(req.body) ? singleInstanceText(req.bodyText) : undefined;
  const logged: boolean[] = new Array(n);
  for (let i = 0; i < n; i++) logged[i] = sample >= 1 || random() < sample;
  const lines: LogRecord[] = [];
  const counts: Answer['counts'] = [];
  const pinnedAs = req.pinned?.as;
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
        if (logged[i]) lines.push(new LogRecord(req.requestId, i, time, model.name, g.lv.version, g.route, keys[i], text ?? instances[i]!, hit, pinnedAs, true));
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
      // The model's OOV rule already applied in scoring (all zeros, or a hashed bucket); count it.
      const outside = g.lv.check.oov(instances[i]!);
      if (outside) for (const f of outside) oov[f] = (oov[f] ?? 0) + 1;
      if (logged[i]) lines.push(new LogRecord(req.requestId, i, time, model.name, g.lv.version, g.route, keys[i], text ?? instances[i]!, predictions[i]!, pinnedAs, false, outside));
    }
    counts.push({ route: pinnedAs ? 'pinned' : g.route, version: g.lv.version, n: g.idx.length === 0 ? n : g.idx.length });
  }

  const first = versions[0]!;
  let same = true;
  for (let i = 1; i < n && same; i++) same = versions[i] === first;
  const headers: Record<string, string> = { 'x-model-version': same ? String(first) : versions.join(',') };
  if (staticLooked > 0) {
    headers['x-prodml-static'] = staticHits === n ? 'hit' : staticHits === 0 ? 'miss' : 'partial';
    headers['x-prodml-static-hits'] = `${staticHits}/${n}`;
  }
  const shadow = req.pinned ? undefined : d.shadow;
  const shaped = shapeAnswer(req.verb, read.format, primary.scorer.task, primary.scorer.classes, predictions);
  const out: Answer = { status: shaped.status, body: shaped.body, headers, lines, day, counts, oov };
  if (shaped.text !== undefined) out.text = shaped.text;
  if (shadow) out.shadow = { lv: shadow.lv, rows: instances, keys, logged, time, ...(text !== undefined ? { text } : {}) };
  return out;
}

/** Whether the body is {"instances": ...} and nothing else (singleInstanceText's premise). */
function onlyInstances(body: unknown): boolean {
  let keys = 0;
  for (const k in body as Record<string, unknown>) if (k !== 'instances' || ++keys > 1) return false;
  return keys === 1;
}

// Requests arriving in the same millisecond share one time string, and those in the same second
// its text up to the milliseconds (formatting a Date costs more than answering a small request).
let isoMs = Number.NaN;
let isoText = '';
let isoSecond = Number.NaN;
let isoPrefix = '';
export function isoTime(ms: number): string {
  if (ms !== isoMs) {
    const second = Math.floor(ms / 1000);
    if (second !== isoSecond) {
      isoPrefix = new Date(second * 1000).toISOString().slice(0, 20); // 2025-03-01T10:00:00.
      isoSecond = second;
    }
    const frac = ms - second * 1000;
    isoText = `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
    isoMs = ms;
  }
  return isoText;
}

/** Scores a request's instances on the shadow version; rows it cannot read (its inputs differ) are skipped. */
export function scoreShadow(model: string, requestId: string, job: ShadowJob): { lines: LogRecord[]; n: number } {
  const { lv, rows } = job;
  const idx: number[] = [];
  for (let i = 0; i < rows.length; i++) if (!lv.check.instance(rows[i], i, { unknownFields: false })) idx.push(i);
  if (idx.length === 0 || lv.disposed) return { lines: [], n: 0 };
  const out = lv.scorer.score(idx.map((i) => rows[i]!));
  const lines: LogRecord[] = [];
  idx.forEach((i, j) => {
    if (job.logged[i]) lines.push(new LogRecord(requestId, i, job.time, model, lv.version, 'shadow', job.keys[i], job.text ?? rows[i]!, predictionValue(lv.scorer, out, j)));
  });
  return { lines, n: idx.length };
}

/**
 * A prediction log record not yet written out: String(record) is its JSON line (record()). The
 * request only keeps the values; the prediction log formats a whole batch at once when it writes,
 * which costs less than one line at a time between requests.
 */
export class LogRecord {
  constructor(
    readonly rid: string,
    readonly i: number,
    readonly time: string,
    readonly model: string,
    readonly version: number,
    readonly route: Route,
    readonly key: string | undefined,
    /** The row, or its JSON text as the client sent it (instanceText.ts): then the parsed row is not kept until the log writes. */
    readonly inputs: Record<string, unknown> | string,
    readonly prediction: Prediction,
    readonly pinned?: string,
    readonly fromTable?: boolean,
    readonly oov?: string[],
  ) {}

  toString(): string {
    return record(this.rid, this.i, this.time, this.model, this.version, this.route, this.key, this.inputs, this.prediction, this.pinned, this.fromTable, this.oov);
  }
}

let lastModel = '';
let lastModelJson = '""';

/**
 * One PredictionRecord (logTypes.ts) as a JSON line: the same text as JSON.stringify of the
 * record, fields in the interface's order, built by concatenation because a record object of
 * varying shape takes JSON.stringify's slow path on every request. `inputs` may be given as its
 * JSON text already.
 */
export function record(rid: string, i: number, time: string, model: string, version: number, route: Route, key: string | undefined, inputs: Record<string, unknown> | string, prediction: Prediction, pinned?: string, fromTable?: boolean, oov?: string[]): string {
  // A server's lines name the same model over and over: its JSON text is kept.
  if (model !== lastModel) {
    lastModel = model;
    lastModelJson = JSON.stringify(model);
  }
  // time (toISOString), version (an integer) and route (a Route) hold nothing JSON escapes.
  let line = `{"request_id":${JSON.stringify(`${rid}-${i}`)},"time":"${time}","model":${lastModelJson},"version":${version},"route":"${route}"`;
  if (key !== undefined) line += `,"key":${JSON.stringify(key)}`;
  line += `,"inputs":${typeof inputs === 'string' ? inputs : JSON.stringify(inputs)},"prediction":${typeof prediction === 'number' ? numberJson(prediction) : JSON.stringify(prediction)}`;
  if (pinned) line += `,"pinned":${JSON.stringify(pinned)}`;
  if (fromTable) line += ',"static":true';
  if (oov) line += `,"oov":${JSON.stringify(oov)}`;
  return `${line}}`;
}
