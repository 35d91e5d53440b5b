/**
 * Where a rejected batch goes: `.prodml/quarantine/<run-id>/<file>`, moved (never deleted) with
 * its anomaly report beside it as `<file>.anomalies.json` and `<file>.anomalies.txt`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../project/atomicWrite';
import { isRowLevel, type Anomaly, type ValidationResult } from '../schema/types';
import { moveFile } from './files';

import { QUARANTINE_DIR } from '../project/paths';
export { QUARANTINE_DIR };

export interface QuarantineReport {
  /** Where the batch came from (workspace-relative) and its content hash. */
  file: string;
  sha256: string;
  run: string;
  quarantined_at: string;
  /** One line: why it was rejected. */
  reason: string;
  schema?: string;
  baseline?: string;
  rows?: number;
  anomalies: Anomaly[];
}

export interface Quarantined {
  /** Workspace-relative paths. */
  file: string;
  to: string;
  report_json: string;
  report_text: string;
  reason: string;
}

export async function quarantineBatch(
  root: string,
  runId: string,
  staged: string,
  origin: { file: string; sha256: string },
  why: { reason: string; schema?: string; validation?: ValidationResult },
): Promise<Quarantined> {
  const dir = path.join(root, QUARANTINE_DIR, runId);
  await fs.mkdir(dir, { recursive: true });
  const dest = await moveFile(staged, path.join(dir, path.basename(staged)));
  const report: QuarantineReport = {
    file: origin.file,
    sha256: origin.sha256,
    run: runId,
    quarantined_at: new Date().toISOString(),
    reason: why.reason,
    ...(why.schema ? { schema: why.schema } : {}),
    ...(why.validation?.baseline ? { baseline: why.validation.baseline } : {}),
    ...(why.validation ? { rows: why.validation.rows } : {}),
    anomalies: why.validation?.anomalies ?? [],
  };
  const json = `${dest}.anomalies.json`;
  const text = `${dest}.anomalies.txt`;
  await writeFileAtomic(json, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(text, reportText(report, path.relative(root, dest)));
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
  return { file: origin.file, to: rel(dest), report_json: rel(json), report_text: rel(text), reason: why.reason };
}

/** The report for people: why, then each error and warning on a line. */
export function reportText(r: QuarantineReport, where: string): string {
  const lines = [
    `${r.file} was quarantined by pipeline run ${r.run} at ${r.quarantined_at}.`,
    `It is kept at ${where} (${r.sha256}); nothing was deleted.`,
    '',
    `Why: ${r.reason}`,
  ];
  if (r.schema) lines.push(`Schema: ${r.schema}${r.baseline ? `; drift baseline: ${r.baseline}` : ''}${r.rows !== undefined ? `; ${r.rows.toLocaleString('en-US')} rows` : ''}`);
  for (const severity of ['error', 'warning'] as const) {
    const list = r.anomalies.filter((a) => a.severity === severity);
    if (list.length === 0) continue;
    lines.push('', `${severity === 'error' ? 'Errors' : 'Warnings'} (${list.length}):`);
    // Column-level findings in full; cell-level ones (a type_mismatch repeated per line) a few each.
    const perGroup = new Map<string, number>();
    let folded = 0;
    for (const a of list) {
      const group = `${a.type} ${a.feature}`;
      const n = perGroup.get(group) ?? 0;
      perGroup.set(group, n + 1);
      if (isRowLevel(a) && n >= 3) {
        folded++;
        continue;
      }
      lines.push(`  ${a.type.padEnd(14)} ${(a.feature ?? '(dataset)').padEnd(18)} ${a.line !== undefined && a.line > 1 ? `line ${a.line}: ` : ''}${a.description}`);
    }
    if (folded > 0) lines.push(`  … ${folded} more cells listed in the .anomalies.json file`);
  }
  lines.push('', 'To use the batch after fixing it, drop the fixed file in the landing folder again.');
  return lines.join('\n') + '\n';
}
