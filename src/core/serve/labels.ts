/**
 * Ground truth that arrives after the prediction: `prodml labels add`. A file of labels keyed by
 * the prediction's request id, or by the model's serving key (e.g. birth_id), becomes one label
 * file under `.prodml/logs/<model>/labels/` (LabelRecord lines); monitoring joins it to the log.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, sqlString, type DuckSession } from '../data/duckdb';
import { explainReadError, openSource, type DataSource } from '../data/source';
import { badInput, isProdmlError } from '../errors';
import { loadProjectConfig, PROJECT_FILE } from '../project/config';
import { syncDir } from '../registry/durable';
import { labelsFile, predictionsGlob, tempBeside } from './logPaths';

export interface AddLabelsOptions {
  /** The column that joins to PredictionRecord.key; default: the model's `serving.key`. */
  key?: string;
  /** The label column; default: the model's label in prodml.yaml. */
  label?: string;
  /** Must be allowed to read the file and write under `<root>/.prodml`. */
  session: DuckSession;
}

export interface AddLabelsResult {
  /** Label records written. */
  added: number;
  /** Of those, how many join to a logged prediction. */
  matched: number;
  unmatched: number;
  /** Rows left out because their id or label is empty. */
  skipped: number;
  /** How they join: `request_id`, or the key column's name. */
  joinedBy: string;
  file: string;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;

export async function addLabels(root: string, model: string, file: string, opts: AddLabelsOptions): Promise<AddLabelsResult> {
  const { session } = opts;
  const project = await loadProjectConfig(root);
  const config = project?.models.find((m) => m.name === model);
  const projectFile = path.join(root, PROJECT_FILE);
  if (project && !config && !(opts.key && opts.label)) throw badInput(projectFile, `has no model "${model}" (models: ${project.models.map((m) => m.name).join(', ') || 'none'})`);
  const source = await openSource(file, root);

  const columns = await describe(session, source);
  const names = columns.map((c) => c.name);
  const label = opts.label ?? config?.label;
  if (!label) throw badInput(source.display, `name the label column with --label (there is no ${PROJECT_FILE} to take ${model}'s label from)`);
  if (!names.includes(label)) throw badInput(source.display, `has no label column "${label}" (columns: ${names.join(', ')})`);
  const joinedBy = joinColumn(source, names, opts.key, config?.serving.key, model);
  if (joinedBy === label) throw badInput(source.display, `the key and the label are the same column "${label}"`);
  const id = sqlIdent(joinedBy);
  const counts = await session.rows(`SELECT count(*) AS n, count(${id}) FILTER (WHERE ${sqlIdent(label)} IS NOT NULL) AS usable FROM ${source.scan}`).catch((e) => rethrow(e, source));
  const total = Number(counts[0]!['n']);
  const added = Number(counts[0]!['usable']);
  if (added === 0) throw badInput(source.display, `has no row with both a ${joinedBy} and a ${label} (${total} rows)`);

  const labelType = columns.find((c) => c.name === label)!.type;
  if (config?.task === 'regression' && !NUMERIC.test(labelType)) {
    throw badInput(source.display, `label column "${label}" holds ${labelType} values; ${model} is a regression model, so its labels must be numbers`);
  }

  const field = joinedBy === 'request_id' ? 'request_id' : 'key';
  const time = new Date().toISOString();
  // DATE/TIMESTAMP labels travel as text, the way JSON carries them; numbers, booleans and strings as they are.
  const labelExpr = NUMERIC.test(labelType) || labelType === 'BOOLEAN' || labelType === 'VARCHAR' ? sqlIdent(label) : `CAST(${sqlIdent(label)} AS VARCHAR)`;
  const usable = `SELECT CAST(${id} AS VARCHAR) AS ${field}, ${labelExpr} AS label, ${sqlString(time)} AS time FROM ${source.scan} WHERE ${id} IS NOT NULL AND ${sqlIdent(label)} IS NOT NULL`;

  const target = await publish(root, model, async (tmp) => {
    await session.run(`COPY (${usable}) TO ${sqlString(tmp)} (FORMAT json)`).catch((e) => rethrow(e, source));
  });
  const matched = await countMatched(session, root, model, field, target);
  return { added, matched, unmatched: added - matched, skipped: total - added, joinedBy, file: target };
}

/**
 * Writes a new label file through `write(tmp)`, fsyncs it and links it into place: a reader's
 * glob sees the whole file or nothing, and a file of the same name is never replaced.
 */
async function publish(root: string, model: string, write: (tmp: string) => Promise<void>): Promise<string> {
  let target = labelsFile(root, model);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempBeside(target);
  try {
    await write(tmp);
    const fh = await fs.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    for (let t = Date.now(); ; t++) {
      try {
        await fs.link(tmp, target);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        target = labelsFile(root, model, new Date(t + 1));
      }
    }
    await syncDir(path.dirname(target));
    return target;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** request_id when the file has one (it names the very prediction), else the serving key. */
function joinColumn(source: DataSource, names: string[], key: string | undefined, servingKey: string | undefined, model: string): string {
  if (key) {
    if (!names.includes(key)) throw badInput(source.display, `has no key column "${key}" (columns: ${names.join(', ')})`);
    return key;
  }
  if (names.includes('request_id')) return 'request_id';
  if (servingKey && names.includes(servingKey)) return servingKey;
  const wanted = servingKey
    ? `has neither a request_id column nor the key column "${servingKey}" (models.${model}.serving.key)`
    : `has no request_id column; name the key column with --key (models.${model}.serving.key is not set)`;
  throw badInput(source.display, `${wanted}; columns: ${names.join(', ')}`);
}

/** Label lines of `labelFile` whose id appears in the prediction log (a torn last log line is skipped). */
async function countMatched(session: DuckSession, root: string, model: string, field: 'request_id' | 'key', labelFile: string): Promise<number> {
  const glob = predictionsGlob(root, model);
  const logged = await fs.readdir(path.dirname(glob)).catch(() => [] as string[]);
  if (!logged.some((f) => f.startsWith('predictions-') && f.endsWith('.jsonl'))) return 0;
  const rows = await session.rows(
    `WITH l AS (SELECT ${field} AS id FROM read_json(${sqlString(labelFile)}, format = 'newline_delimited', columns = {${field}: 'VARCHAR'})),
          p AS (SELECT DISTINCT ${field} AS id FROM read_json(${sqlString(glob)}, format = 'newline_delimited', ignore_errors = true, columns = {${field}: 'VARCHAR'}) WHERE ${field} IS NOT NULL)
     SELECT count(*) AS matched FROM l SEMI JOIN p USING (id)`,
  );
  return Number(rows[0]!['matched']);
}

async function describe(session: DuckSession, source: DataSource): Promise<{ name: string; type: string }[]> {
  const rows = await session.rows(`DESCRIBE SELECT * FROM ${source.scan}`).catch((e) => rethrow(e, source));
  return rows.map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
}

async function rethrow(e: unknown, source: DataSource): Promise<never> {
  if (isProdmlError(e)) throw e;
  throw await explainReadError(e, source);
}
