/**
 * Validation results as SARIF 2.1.0, so CI code scanning shows each anomaly inline: at the cell
 * for row-level ones, at the header cell for column-level ones, and at the feature's key in the
 * schema file when the data has no lines (Parquet, JSON arrays, a glob's column-level findings).
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatOf } from '../data/source';
import { VERSION } from '../project/version';
import { locateKey } from './io';
import { readCsvHeader, readLines, splitCsvLine } from './lineIndex';
import { ANOMALY_TYPES, type Anomaly, type AnomalyType, type ValidationResult } from './types';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const RULES: Record<AnomalyType, string> = {
  drift: 'The feature distribution moved from the previous span more than its drift threshold allows.',
  skew: 'The feature distribution in serving differs from training more than its skew threshold allows.',
  missing_column: 'A feature the schema expects is not in the data.',
  new_column: 'The data has a column the schema does not know.',
  type_mismatch: 'A value cannot be read as the type the schema gives the feature.',
  low_presence: 'Fewer examples have a value for the feature than presence.min_fraction requires.',
  value_count: 'An example holds fewer or more values than value_count allows.',
  out_of_domain: "A value is not in the feature's domain.",
  out_of_range: "A value is outside the feature's range.",
  num_examples: 'The batch has fewer or more rows than num_examples allows.',
  parse_error: 'A line of the file cannot be parsed.',
};

export interface SarifOptions {
  /** The schema file as the user named it. */
  schemaFile: string;
  /** Paths in the SARIF are relative to this directory (the repository root in CI). */
  cwd?: string;
}

interface Region {
  startLine: number;
  startColumn?: number;
  endColumn?: number;
}

export async function validationSarif(result: ValidationResult, opts: SarifOptions): Promise<Record<string, unknown>> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const cells = await cellRegions(result.anomalies, cwd);
  const schemaText = await fs.promises.readFile(path.resolve(cwd, opts.schemaFile), 'utf8').catch(() => '');
  const rules = ANOMALY_TYPES.map((id) => ({
    id,
    name: id.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: RULES[id] },
    defaultConfiguration: { level: id === 'new_column' ? 'warning' : 'error' },
  }));
  const results = result.anomalies.map((a) => {
    let uri: string;
    let region: Region | undefined;
    if (a.file && a.line !== undefined) {
      uri = a.file;
      region = cells.get(cellKey(a)) ?? { startLine: a.line };
    } else if (!/[*?[]/.test(result.source) && formatOf(result.source) !== undefined && a.feature === null) {
      uri = result.source;
    } else {
      uri = opts.schemaFile;
      const at = schemaText ? locateKey(schemaText, a.feature === null ? [] : ['features', a.feature]) : undefined;
      if (at) region = { startLine: at.line, startColumn: at.column };
    }
    return {
      ruleId: a.type,
      ruleIndex: ANOMALY_TYPES.indexOf(a.type),
      level: a.severity,
      message: { text: a.feature && !a.description.includes(a.feature) ? `${a.feature}: ${a.description}` : a.description },
      locations: [{ physicalLocation: { artifactLocation: { uri: toUri(uri, cwd), uriBaseId: 'SRCROOT' }, ...(region ? { region } : {}) } }],
      properties: {
        feature: a.feature,
        ...(a.value !== undefined ? { value: a.value } : {}),
        ...(a.threshold !== undefined ? { threshold: a.threshold } : {}),
        ...(a.count !== undefined ? { count: a.count } : {}),
        ...(a.column !== undefined ? { columnIndex: a.column } : {}),
      },
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'ProdML', version: VERSION, informationUri: 'https://github.com/prodml/prodml', rules } },
        originalUriBaseIds: { SRCROOT: { uri: `${pathToFileUri(cwd)}/` } },
        results,
      },
    ],
  };
}

function cellKey(a: Anomaly): string {
  return `${a.file}\u0000${a.line}\u0000${a.column ?? ''}`;
}

/** Character columns of the cells anomalies point at: SARIF columns count characters, not fields. */
async function cellRegions(anomalies: Anomaly[], cwd: string): Promise<Map<string, Region>> {
  const out = new Map<string, Region>();
  const byFile = new Map<string, Anomaly[]>();
  for (const a of anomalies) {
    if (a.file && a.line !== undefined && a.column !== undefined) byFile.set(a.file, [...(byFile.get(a.file) ?? []), a]);
  }
  for (const [file, list] of byFile) {
    const abs = path.resolve(cwd, file);
    const format = formatOf(abs);
    if (format !== 'csv' && format !== 'tsv') continue;
    try {
      const { delimiter } = await readCsvHeader(abs, format);
      const lines = await readLines(abs, list.map((a) => a.line!));
      for (const a of list) {
        const text = lines.get(a.line!);
        const field = text === undefined ? undefined : splitCsvLine(text, delimiter)[a.column! - 1];
        if (field) out.set(cellKey(a), { startLine: a.line!, startColumn: field.start + 1, endColumn: Math.max(field.end, field.start + 1) + 1 });
      }
    } catch {
      // The file changed or vanished since validation: the line alone still points close enough.
    }
  }
  return out;
}

function toUri(p: string, cwd: string): string {
  const rel = path.isAbsolute(p) ? path.relative(cwd, p) : p;
  if (rel.startsWith('..') || path.isAbsolute(rel)) return pathToFileUri(path.resolve(cwd, p));
  return rel.split(path.sep).map(encodeURIComponent).join('/');
}

function pathToFileUri(p: string): string {
  return `file://${p.split(path.sep).map(encodeURIComponent).join('/')}`;
}
