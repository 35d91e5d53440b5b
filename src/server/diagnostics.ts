/** Anomalies and schema issues as LSP diagnostics, placed on the exact cell, key or header. */
import { DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { splitCsvLine } from '../core/ops/language';
import type { SchemaIssue } from '../core/ops/language';
import type { Anomaly } from '../core/ops/language';

export const SOURCE = 'prodml';

/** What a data diagnostic carries for its quick fixes. */
export interface AnomalyData {
  anomaly: Anomaly;
  schemaFile: string;
}

export function delimiterOf(uri: string): string | undefined {
  if (/\.tsv$/i.test(uri)) return '\t';
  if (/\.csv$/i.test(uri)) return ',';
  return undefined;
}

function lineText(doc: TextDocument, line: number): string {
  return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
}

/** The cell's range when the anomaly names one, else its whole line (line 1 for dataset-level ones). */
export function anomalyRange(doc: TextDocument, a: Anomaly): Range {
  const line = Math.max(0, Math.min((a.line ?? 1) - 1, doc.lineCount - 1));
  const text = lineText(doc, line);
  const delim = delimiterOf(doc.uri);
  if (delim && a.column) {
    const cell = splitCsvLine(text, delim)[a.column - 1];
    if (cell) {
      const end = cell.end > cell.start ? cell.end : cell.start + 1;
      return { start: { line, character: cell.start }, end: { line, character: end } };
    }
  }
  return { start: { line, character: 0 }, end: { line, character: Math.max(1, text.length) } };
}

export function anomalyDiagnostic(doc: TextDocument, a: Anomaly, schemaFile: string): Diagnostic {
  return {
    range: anomalyRange(doc, a),
    severity: a.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    code: a.type,
    message: a.description,
    data: { anomaly: a, schemaFile } satisfies AnomalyData,
  };
}

export function issueDiagnostic(i: SchemaIssue): Diagnostic {
  return {
    range: { start: { line: i.line - 1, character: i.column - 1 }, end: { line: i.endLine - 1, character: Math.max(i.endColumn - 1, i.column) } },
    severity: i.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    message: i.message,
  };
}

/** A problem with the whole file (unreadable, schema broken): on its first line. */
export function fileDiagnostic(doc: TextDocument, message: string, severity: DiagnosticSeverity = DiagnosticSeverity.Error): Diagnostic {
  return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: Math.max(1, lineText(doc, 0).length) } }, severity, source: SOURCE, message };
}
