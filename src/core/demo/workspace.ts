/**
 * Writes the demo workspace: a year of monthly training batches, a serving batch, a folder of
 * incoming batches (one good, five broken the ways production data breaks), prodml.yaml, a
 * README and the `.prodml-demo` marker. Same seed -> byte-identical files.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../errors';
import { toCsv } from './csv';
import { AGE_SHIFT_YEARS, BAD_BATCHES, GESTATION_SHIFT_WEEKS, type Batch, type DemoDefect } from './defects';
import type { DemoFile, DemoFileKind } from './demoFile';
import { generateNatalityRows, monthRange, NATALITY_COLUMNS, NATALITY_LABEL } from './natality';
import { deriveSeed } from './random';
import { demoProdmlYaml, demoReadme } from './readme';

export const DEMO_MARKER = '.prodml-demo';
export const DEFAULT_DEMO_SEED = 42;
export const DEFAULT_ROWS_PER_MONTH = 1500;

export type { DemoFile, DemoFileKind } from './demoFile';

export interface DemoManifest {
  /** Absolute path of the workspace written. */
  dir: string;
  seed: number;
  rowsPerMonth: number;
  files: DemoFile[];
}

export interface DemoOptions {
  seed?: number;
  rowsPerMonth?: number;
}

/** True when `dir` holds the marker a previous demo run left. */
export async function isDemoWorkspace(dir: string): Promise<boolean> {
  try {
    return (await stat(path.join(dir, DEMO_MARKER))).isFile();
  } catch {
    return false;
  }
}

export async function writeDemoWorkspace(dir: string, opts: DemoOptions = {}): Promise<DemoManifest> {
  const seed = opts.seed ?? DEFAULT_DEMO_SEED;
  const rowsPerMonth = opts.rowsPerMonth ?? DEFAULT_ROWS_PER_MONTH;
  if (!Number.isSafeInteger(seed)) throw badInput(undefined, `demo seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(rowsPerMonth) || rowsPerMonth < 1) {
    throw badInput(undefined, `demo rows per month must be a positive integer, got ${rowsPerMonth}`);
  }
  const root = path.resolve(dir);
  await refuseForeignDirectory(root);

  const { files, contents } = buildDemo(seed, rowsPerMonth);
  const manifest: DemoManifest = { dir: root, seed, rowsPerMonth, files };

  // The marker goes first: if writing stops half way, a re-run may still overwrite the files.
  // The marker holds the manifest minus `dir`, so it is the same wherever the demo is written.
  const marker = { generator: 'prodml demo', seed, rowsPerMonth, files };
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, DEMO_MARKER), JSON.stringify(marker, null, 2) + '\n');
  for (const [rel, text] of contents) {
    const file = path.join(root, ...rel.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return manifest;
}

async function refuseForeignDirectory(root: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw badInput(root, 'is a file, not a directory; choose a new or empty directory for the demo.');
    throw e;
  }
  if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
    throw badInput(
      root,
      `directory is not empty and is not a ProdML demo workspace (no ${DEMO_MARKER} file); refusing to write the demo over it. Choose a new or empty directory.`,
    );
  }
}

/** Every file of the demo, in memory, in write order (marker excluded). */
function buildDemo(seed: number, rowsPerMonth: number): { files: DemoFile[]; contents: Map<string, string> } {
  const files: DemoFile[] = [];
  const contents = new Map<string, string>();
  const addData = (rel: string, kind: DemoFileKind, batch: Batch, description: string, defect?: DemoDefect) => {
    contents.set(rel, toCsv(batch.columns, batch.rows));
    const dates = batch.rows.map((r) => r.event_date).filter((d): d is string => typeof d === 'string');
    files.push({
      path: rel,
      kind,
      rows: batch.rows.length,
      columns: batch.columns,
      ...(dates.length ? { dateRange: { min: dates.reduce(minStr), max: dates.reduce(maxStr) } } : {}),
      description,
      ...(defect ? { defect } : {}),
    });
  };
  const month = (year: number, m: number, label: string) => ({
    seed: deriveSeed(seed, label),
    rows: rowsPerMonth,
    ...monthRange(year, m),
  });

  for (let m = 1; m <= 12; m++) {
    const name = `natality-2024-${String(m).padStart(2, '0')}.csv`;
    const rows = generateNatalityRows(month(2024, m, `train/${name}`));
    addData(`data/train/${name}`, 'train', { columns: [...NATALITY_COLUMNS], rows }, `Training batch for ${monthName(m)} 2024 (labelled).`);
  }

  const servingColumns = NATALITY_COLUMNS.filter((c) => c !== NATALITY_LABEL);
  const serving = generateNatalityRows(month(2025, 1, 'serving/natality-2025-01.csv'));
  addData(
    'data/serving/natality-2025-01.csv',
    'serving',
    { columns: servingColumns, rows: serving },
    `Serving requests for January 2025: same features as training, no ${NATALITY_LABEL} (the label is not known at serving time). Clean.`,
  );

  const good = generateNatalityRows(month(2025, 2, 'incoming/natality-2025-02.csv'));
  addData(
    'data/incoming/natality-2025-02.csv',
    'incoming',
    { columns: [...NATALITY_COLUMNS], rows: good },
    'New labelled batch for February 2025. Clean: it should pass validation.',
  );
  for (const spec of BAD_BATCHES) {
    const batch = spec.make(month(2025, 2, `incoming/${spec.file}`));
    addData(`data/incoming/${spec.file}`, 'incoming', batch, `February 2025 batch with a defect: ${spec.defect.description}`, spec.defect);
  }

  // After deployment: months of requests to replay through the server, each row with its id so
  // the label, known weeks later, can be joined to the prediction. May comes from one clinic.
  for (const m of STREAM_MONTHS) {
    const name = `natality-2025-${String(m).padStart(2, '0')}.csv`;
    const req = month(2025, m, `stream/${name}`);
    const drifted = m === STREAM_DRIFTED_MONTH;
    const rows = generateNatalityRows(drifted ? { ...req, shift: { motherAge: AGE_SHIFT_YEARS, gestationWeeks: GESTATION_SHIFT_WEEKS } } : req);
    const withIds = rows.map((r, i) => ({ birth_id: `B2025${String(m).padStart(2, '0')}-${String(i + 1).padStart(5, '0')}`, ...r, cigarette_use: r.cigarette_use ?? null, alcohol_use: r.alcohol_use ?? null }));
    addData(
      `data/stream/${name}`,
      'stream',
      { columns: ['birth_id', ...NATALITY_COLUMNS], rows: withIds },
      drifted
        ? `Births of ${monthName(m)} 2025 to replay against the server, with their weights (labels that arrive later). Drifted: every request came from one fertility clinic (mothers ~${AGE_SHIFT_YEARS} years older, ~${-GESTATION_SHIFT_WEEKS} weeks shorter gestations).`
        : `Births of ${monthName(m)} 2025 to replay against the server, with their weights (labels that arrive later). Clean.`,
    );
  }

  files.push({ path: 'prodml.yaml', kind: 'config', description: 'ProdML configuration: the natality dataset, its label and time column.' });
  files.push({ path: 'README.md', kind: 'readme', description: 'What each file of this demo workspace is.' });
  files.push({ path: DEMO_MARKER, kind: 'marker', description: 'Marks this folder as a generated demo (lets `prodml demo` regenerate it); holds this manifest.' });
  contents.set('prodml.yaml', demoProdmlYaml());
  contents.set('README.md', demoReadme({ seed, rowsPerMonth, files }));
  return { files, contents };
}

/** Months of 2025 in data/stream/, and the one whose requests drift. */
export const STREAM_MONTHS = [3, 4, 5, 6] as const;
export const STREAM_DRIFTED_MONTH = 5;

const minStr = (a: string, b: string) => (b < a ? b : a);
const maxStr = (a: string, b: string) => (b > a ? b : a);

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function monthName(m: number): string {
  return MONTHS[m - 1] ?? String(m);
}
