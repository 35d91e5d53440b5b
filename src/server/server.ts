/**
 * The ProdML language server (`node dist/server.js --stdio`): diagnostics inside data files that
 * a schema governs, in *.schema.yaml and in prodml.yaml; quick fixes that edit the schema; hovers
 * and completion. All checks are src/core's; this file wires them to LSP.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Diagnostic,
  type Hover,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkDbDatasets } from '../core/ops/sourceCheck';
import { isProdmlError } from '../core/ops/errors';
import {
  applyFix,
  checkDataFile,
  checkYaml,
  datasetFiles,
  fixesFor,
  fixTitle,
  governingSchema,
  loadProjectConfig,
  openEditorSession,
  parseProjectConfig,
  parseSchema,
  profileFile,
  projectProblems,
  PROJECT_FILE,
  type Anomaly,
  type DatasetProfile,
  type DuckSession,
  type Governance,
  type Schema,
} from '../core/ops/language';
import { anomalyDiagnostic, fileDiagnostic, issueDiagnostic, SOURCE, type AnomalyData } from './diagnostics';
import { headerCell, headerHover } from './hover';
import { changedRegion, mergeRegion, type Region } from './incremental';
import { keyPathAt, keysAt, parentPath, schemaNodeAt, type RootSchema } from './schemaKeys';
import schemaJsonSchema from '../../schemas/schema.schema.json';
import projectJsonSchema from '../../schemas/prodml.schema.json';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
/** Re-validation waits this long after the last keystroke. */
const DEBOUNCE_MS = 75;

interface CheckedData {
  anomalies: Anomaly[];
  schema?: Schema;
  schemaFile?: string;
  schemaText?: string;
  text?: string[];
}

/** Everything the server remembers between requests, in one place. */
const state = {
  /** Workspace folders, from initialize. */
  roots: [] as string[],
  /** Scratch folder for copies of unsaved editor text (DuckDB may read it). */
  temp: fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-lsp-')),
  session: undefined as Promise<DuckSession> | undefined,
  /** Validations share one DuckDB connection, so they run one at a time. */
  queue: Promise.resolve() as Promise<unknown>,
  timers: new Map<string, NodeJS.Timeout>(),
  /** Documents edited since they were opened or saved: validated from a copy of the editor text. */
  dirty: new Set<string>(),
  /** Per data document: the last drift/skew anomalies (computed on open and save only) and all anomalies. */
  lastDistribution: new Map<string, Anomaly[]>(),
  lastResult: new Map<string, CheckedData>(),
  /** Per data document: its profile, for header hovers, computed on the first hover of each version. */
  profiles: new Map<string, { version: number; profile: Promise<DatasetProfile | undefined> }>(),
};
const TEMP = state.temp;
/** Edits touching at most this many lines are re-checked on their own. */
const INCREMENTAL_MAX_LINES = 500;
/** After an incremental check, the whole file is checked again once typing has paused this long. */
const FULL_AFTER_EDIT_MS = 1500;

const isData = (uri: string) => /\.(csv|tsv|jsonl|ndjson)$/i.test(uri);
const isSchema = (uri: string) => /\.schema\.ya?ml$/i.test(uri);
const isProject = (uri: string) => uri.endsWith(`/${PROJECT_FILE}`);
const fsPath = (uri: string) => fileURLToPath(uri);

function rootOf(file: string): string | undefined {
  return state.roots.filter((r) => file === r || file.startsWith(r + path.sep)).sort((a, b) => b.length - a.length)[0];
}

function duck(): Promise<DuckSession> {
  state.session ??= openEditorSession([...state.roots, TEMP]);
  return state.session;
}

function serial<T>(job: () => Promise<T>): Promise<T> {
  const run = state.queue.then(job, job);
  state.queue = run.catch(() => undefined);
  return run;
}

connection.onInitialize((params) => {
  state.roots = (params.workspaceFolders ?? []).map((f) => fsPath(f.uri));
  if (state.roots.length === 0 && params.rootUri) state.roots = [fsPath(params.rootUri)];
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      hoverProvider: true,
      completionProvider: { triggerCharacters: [' ', '\n'] },
    },
    serverInfo: { name: 'prodml', version: '0.1.0' },
  };
});

/** Runs a check of `uri` after `delay`, replacing one already waiting; `whole` forces a whole-file check. */
function schedule(uri: string, full: boolean, delay: number, whole = false): void {
  clearTimeout(state.timers.get(uri));
  state.timers.set(
    uri,
    setTimeout(() => {
      state.timers.delete(uri);
      void check(uri, full, whole);
    }, delay),
  );
}

async function check(uri: string, full: boolean, whole = false): Promise<void> {
  const doc = documents.get(uri);
  if (!doc) return;
  try {
    if (isSchema(uri)) {
      await connection.sendDiagnostics({ uri, diagnostics: parseSchema(doc.getText()).issues.map(issueDiagnostic) });
      revalidateDataGovernedBy(fsPath(uri));
      void checkParquetFiles();
    } else if (isProject(uri)) {
      const diagnostics = projectDiagnostics(doc);
      await connection.sendDiagnostics({ uri, diagnostics });
      for (const d of documents.all()) if (isData(d.uri)) schedule(d.uri, true, 0);
      // Database datasets are reached after the quick checks are shown: a slow host must not delay them.
      const sources = await sourceDiagnostics(doc);
      if (sources.length > 0 && documents.get(uri)?.version === doc.version) await connection.sendDiagnostics({ uri, diagnostics: [...diagnostics, ...sources] });
    } else if (isData(uri)) {
      await connection.sendDiagnostics({ uri, diagnostics: await serial(() => dataDiagnostics(doc, full, whole)) });
    }
  } catch (e) {
    connection.console.error(`prodml: checking ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

function revalidateDataGovernedBy(schemaFile: string): void {
  for (const d of documents.all()) {
    if (isData(d.uri) && state.lastResult.get(d.uri)?.schemaFile === schemaFile) schedule(d.uri, false, DEBOUNCE_MS);
  }
}

function schemaText(file: string): string | undefined {
  const open = documents.get(pathToFileURL(file).toString());
  if (open) return open.getText();
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function dataDiagnostics(doc: TextDocument, full: boolean, whole = false): Promise<Diagnostic[]> {
  const file = fsPath(doc.uri);
  const root = rootOf(file);
  let gov: Governance | undefined;
  try {
    gov = await governingSchema(file, root);
  } catch (e) {
    return [fileDiagnostic(doc, `prodml.yaml: ${e instanceof Error ? e.message : String(e)}`, DiagnosticSeverity.Warning)];
  }
  if (!gov) {
    state.lastResult.delete(doc.uri);
    return [];
  }
  const rel = (p: string) => (root ? path.relative(root, p) : p);
  const text = schemaText(gov.schemaFile);
  if (text === undefined) return [fileDiagnostic(doc, `The schema ${rel(gov.schemaFile)} that governs this file does not exist.`, DiagnosticSeverity.Warning)];
  const parsed = parseSchema(text);
  if (!parsed.schema) {
    state.lastResult.set(doc.uri, { anomalies: [], schemaFile: gov.schemaFile });
    return [fileDiagnostic(doc, `The schema ${rel(gov.schemaFile)} has errors; fix them to check this file.`, DiagnosticSeverity.Warning)];
  }

  const prev = state.lastResult.get(doc.uri);
  const lines = doc.getText().split('\n');
  const delimited = /\.(csv|tsv)$/i.test(file);
  try {
    // An edit of a few lines re-checks just those lines (with the header) when the last full
    // check used the same schema; a full check follows when typing pauses.
    if (!full && !whole && delimited && prev?.text && prev.schemaText === text && prev.schemaFile === gov.schemaFile) {
      const region = changedRegion(prev.text, lines);
      const small = region.start >= 1 && region.newEnd - region.start <= INCREMENTAL_MAX_LINES && !lines.slice(region.start, region.newEnd).some((l) => l.includes('"'));
      const fresh = small ? await checkLines(doc.uri, file, root, lines, region, parsed.schema, gov.environment) : undefined;
      if (fresh) {
        const anomalies = mergeRegion(prev.anomalies, region, fresh);
        state.lastResult.set(doc.uri, { ...prev, anomalies, text: lines });
        schedule(doc.uri, false, FULL_AFTER_EDIT_MS, true);
        return anomalies.map((a) => anomalyDiagnostic(doc, a, gov.schemaFile));
      }
    }

    // Unsaved edits are checked from a copy of the editor's text; the file on disk is left alone.
    const target = state.dirty.has(doc.uri) ? await scratchCopy(doc.uri, path.basename(file), doc.getText()) : file;
    const withBaseline = full && gov.baseline !== undefined;
    let anomalies = await checkDataFile(await duck(), { file: target, ...(root ? { root } : {}), schema: parsed.schema, ...(withBaseline ? { baseline: gov.baseline } : {}), ...(gov.environment ? { environment: gov.environment } : {}) });
    const distribution = (a: Anomaly) => a.type === 'drift' || a.type === 'skew';
    if (withBaseline) state.lastDistribution.set(doc.uri, anomalies.filter(distribution));
    else anomalies = [...anomalies.filter((a) => !distribution(a)), ...(state.lastDistribution.get(doc.uri) ?? [])];
    state.lastResult.set(doc.uri, { anomalies, schema: parsed.schema, schemaFile: gov.schemaFile, schemaText: text, text: lines });
    return anomalies.map((a) => anomalyDiagnostic(doc, a, gov.schemaFile));
  } catch (e) {
    if (isProdmlError(e)) return [fileDiagnostic(doc, e.message.replace(TEMP + path.sep, '').replace(/^[0-9a-f]{12}\/(part-)?/, ''))];
    throw e;
  }
}

/** The findings of the region's lines checked alone; undefined when only a whole-file check can say. */
async function checkLines(uri: string, file: string, root: string | undefined, lines: string[], region: Region, schema: Schema, environment?: string): Promise<Anomaly[] | undefined> {
  const changed = lines.slice(region.start, region.newEnd);
  if (changed.every((l) => l.trim() === '')) return [];
  const target = await scratchCopy(uri, `part-${path.basename(file)}`, [lines[0] ?? '', ...changed].join('\n') + '\n');
  try {
    return await checkDataFile(await duck(), { file: target, ...(root ? { root } : {}), schema, ...(environment ? { environment } : {}) });
  } catch (e) {
    if (isProdmlError(e)) return undefined; // e.g. a ragged line: the whole-file check words it
    throw e;
  }
}

/** A copy of editor text in the server's scratch folder, which DuckDB may read. */
async function scratchCopy(uri: string, name: string, text: string): Promise<string> {
  const dir = path.join(TEMP, crypto.createHash('sha1').update(uri).digest('hex').slice(0, 12));
  await fs.promises.mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  await fs.promises.writeFile(target, text);
  return target;
}

/**
 * Parquet files cannot be opened as text, so their anomalies go to the Problems panel as
 * file-level entries: every .parquet file of a prodml.yaml dataset, checked on start and
 * whenever a schema, prodml.yaml or a Parquet file changes.
 */
async function checkParquetFiles(): Promise<void> {
  for (const root of state.roots) {
    let cfg;
    try {
      cfg = await loadProjectConfig(root);
    } catch {
      continue; // prodml.yaml's own diagnostics say what is wrong
    }
    for (const file of await datasetFiles(root, cfg, /\.parquet$/i)) {
      const uri = pathToFileURL(file).toString();
      const diagnostics = await serial(async () => {
        const gov = await governingSchema(file, root, cfg);
        const parsed = gov && schemaText(gov.schemaFile) !== undefined ? parseSchema(schemaText(gov.schemaFile)!) : undefined;
        if (!gov || !parsed?.schema) return [];
        const doc = TextDocument.create(uri, 'parquet', 0, '');
        try {
          const anomalies = await checkDataFile(await duck(), { file, root, schema: parsed.schema, ...(gov.baseline ? { baseline: gov.baseline } : {}), ...(gov.environment ? { environment: gov.environment } : {}) });
          return anomalies.map((a) => anomalyDiagnostic(doc, { ...a, line: undefined, column: undefined }, gov.schemaFile));
        } catch (e) {
          return isProdmlError(e) ? [fileDiagnostic(doc, e.message)] : [];
        }
      });
      await connection.sendDiagnostics({ uri, diagnostics });
    }
  }
}

/** The JSON Schema of a YAML file ProdML owns, for hover, completion and checks. */
function jsonSchemaOf(uri: string): RootSchema | undefined {
  if (isSchema(uri)) return schemaJsonSchema as RootSchema;
  if (isProject(uri)) return projectJsonSchema as RootSchema;
  return undefined;
}

/** A database dataset that cannot be reached (or whose table or query fails) is an error on its url: line. */
async function sourceDiagnostics(doc: TextDocument): Promise<Diagnostic[]> {
  let cfg;
  try {
    cfg = parseProjectConfig(doc.getText(), path.dirname(fsPath(doc.uri)));
  } catch {
    return [];
  }
  return (await checkDbDatasets(doc.getText(), cfg)).map((p) => ({
    range: { start: { line: p.line, character: p.start }, end: { line: p.line, character: p.end } },
    severity: DiagnosticSeverity.Error,
    source: SOURCE,
    message: p.message,
  }));
}

function projectDiagnostics(doc: TextDocument): Diagnostic[] {
  const checked = checkYaml(doc.getText(), projectJsonSchema, 'prodml.yaml');
  if (checked.value === undefined) return checked.issues.map(issueDiagnostic);
  try {
    return projectProblems(doc.getText(), path.dirname(fsPath(doc.uri)), schemaText).map((p) => ({
      range: { start: { line: p.line, character: p.start }, end: { line: p.line, character: p.end } },
      severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: SOURCE,
      message: p.message,
    }));
  } catch (e) {
    return [fileDiagnostic(doc, e instanceof Error ? e.message.replace(/^.*prodml\.yaml: /, '') : String(e))];
  }
}

connection.onCodeAction((params): CodeAction[] => {
  const actions: CodeAction[] = [];
  for (const diag of params.context.diagnostics) {
    const data = diag.data as AnomalyData | undefined;
    if (diag.source !== SOURCE || !data?.anomaly || !data.schemaFile) continue;
    const text = schemaText(data.schemaFile);
    if (text === undefined) continue;
    const end = TextDocument.create('', 'yaml', 0, text).positionAt(text.length);
    const uri = pathToFileURL(data.schemaFile).toString();
    fixesFor(data.anomaly).forEach((fix, i) => {
      actions.push({
        title: fixTitle(fix),
        kind: CodeActionKind.QuickFix,
        diagnostics: [diag],
        isPreferred: i === 0,
        edit: { changes: { [uri]: [{ range: { start: { line: 0, character: 0 }, end }, newText: applyFix(text, fix) }] } },
      });
    });
  }
  return actions;
});

function profileOf(doc: TextDocument): Promise<DatasetProfile | undefined> {
  const cached = state.profiles.get(doc.uri);
  if (cached?.version === doc.version) return cached.profile;
  const file = fsPath(doc.uri);
  const profile = serial(async () => {
    const target = state.dirty.has(doc.uri) ? await scratchCopy(doc.uri, path.basename(file), doc.getText()) : file;
    const root = rootOf(file);
    return profileFile(await duck(), { file: target, ...(root ? { root } : {}) });
  }).catch(() => undefined);
  state.profiles.set(doc.uri, { version: doc.version, profile });
  return profile;
}

connection.onHover(async (params): Promise<Hover | null> => {
  const doc = documents.get(params.textDocument.uri);
  if (!doc) return null;
  const lines = doc.getText().split('\n');
  const root = jsonSchemaOf(doc.uri);
  if (root) {
    const keys = keyPathAt(lines, params.position.line);
    const node = keys && schemaNodeAt(root, keys);
    return node?.description ? { contents: { kind: 'markdown', value: `**${keys!.join('.')}**\n\n${node.description}` } } : null;
  }
  if (isData(doc.uri) && params.position.line === 0) {
    const last = state.lastResult.get(doc.uri);
    if (!last?.schema || !headerCell(lines[0] ?? '', params.position.character, doc.uri)) return null;
    return headerHover(lines[0] ?? '', params.position.character, doc.uri, last.schema, last.anomalies, await profileOf(doc));
  }
  return null;
});

connection.onCompletion((params) => {
  const doc = documents.get(params.textDocument.uri);
  const root = doc && jsonSchemaOf(doc.uri);
  if (!doc || !root) return [];
  const lines = doc.getText().split('\n');
  const current = lines[params.position.line] ?? '';
  const indent = /^\s*/.exec(current)![0].length;
  const parent = parentPath(lines, params.position.line, indent);
  // A feature name is the user's own; under it come the feature keys.
  return keysAt(root, parent).map(({ key, description }) => ({ label: key, kind: 10, documentation: { kind: 'markdown' as const, value: description }, insertText: `${key}: ` }));
});

connection.onInitialized(() => void checkParquetFiles());
connection.onDidChangeWatchedFiles(() => void checkParquetFiles());

documents.onDidOpen((e) => {
  state.dirty.delete(e.document.uri);
  schedule(e.document.uri, true, 0);
});
documents.onDidChangeContent((e) => {
  if (!state.timers.has(e.document.uri) && e.document.version === 1) return; // the open itself
  state.dirty.add(e.document.uri);
  schedule(e.document.uri, false, DEBOUNCE_MS);
});
documents.onDidSave((e) => {
  state.dirty.delete(e.document.uri);
  schedule(e.document.uri, true, 0);
});
documents.onDidClose((e) => {
  clearTimeout(state.timers.get(e.document.uri));
  state.timers.delete(e.document.uri);
  state.dirty.delete(e.document.uri);
  state.lastResult.delete(e.document.uri);
  state.lastDistribution.delete(e.document.uri);
  state.profiles.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});
connection.onShutdown(async () => {
  (await state.session)?.close();
  fs.rmSync(TEMP, { recursive: true, force: true });
});

documents.listen(connection);
connection.listen();
