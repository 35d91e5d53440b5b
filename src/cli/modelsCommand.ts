import { InvalidArgumentError, type Command } from 'commander';
import * as ops from '../core/ops';
import type { AliasChange, GcResult, MetricDelta, ModelSummary, ModelVersion, VersionComparison, VersionSummary } from '../core/ops/types';
import { describeVersions, fmtNum, keyMetric } from '../core/ops/format';
import { action, print, withCancel, workspaceOf, workspaceOption } from './run';
import { registerModelsImport } from './importCommand';

interface Common {
  workspace?: string;
  json?: boolean;
}

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('The model registry: versions with lineage, aliases; promote, roll back, clean up');
  const common = (c: Command) =>
    workspaceOption(c).option('--json', 'print one JSON document');

  registerModelsImport(models);

  common(models.command('list').description('List models, or the versions of one model with their aliases and key metric').argument('[model]')).action(action(modelsList));

  common(models.command('show').description('Show one version and its lineage card').argument('<ref>', '<model>:<version>, <model>:latest or <model>@<alias>')).action(action(modelsShow));

  common(
    models
      .command('promote')
      .description('Point an alias (production by default) at a version; recorded in the alias history')
      .argument('<ref>', '<model>:<version>, or <model>@<alias> to promote what another alias points at')
      .option('--alias <alias>', 'the alias to move', 'production')
      .option('--reason <text>', 'why, for the alias history'),
  ).action(action(modelsPromote));

  common(
    models
      .command('rollback')
      .description('Move production back: to the previous production version, to a version, or to the last version trained only on data before a time')
      .argument('<model>')
      .option('--to <version>', 'the version to roll back to', version)
      .option('--before <date>', 'ISO date or time (e.g. 2024-05-01): polluted data arrived then', instant)
      .option('--reason <text>', 'why, for the alias history'),
  ).action(action(modelsRollback));

  common(
    models
      .command('compare')
      .description('Two versions side by side on the same data: every metric and per-slice deltas (b - a), and which is better')
      .argument('<model>')
      .argument('<a>', 'a version: 3, latest or @production')
      .argument('<b>', 'the other version')
      .option('--data <data>', "data with the label column (file or glob, or a dataset name from prodml.yaml); default: the held-out split of the model's dataset in prodml.yaml")
      .option('--slice <column...>', "report every metric per value of these columns (default: the model's validation slices)"),
  ).action(action(modelsCompare));

  common(
    models
      .command('gc')
      .description('Delete old versions, keeping the N newest, every aliased version and the previous production version')
      .argument('<model>')
      .option('--keep <n>', 'how many of the newest versions to keep', count, 5)
      .option('--dry-run', 'only say what would be deleted'),
  ).action(action(modelsGc));
}

function version(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v)) throw new InvalidArgumentError('Give a version number (1, 2, ...).');
  return Number(v);
}

function count(v: string): number {
  if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('Give a whole number, 1 or more.');
  return Number(v);
}

function instant(v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('Give an ISO 8601 date or time, e.g. 2024-05-01 or 2024-05-01T12:00:00Z.');
  return d;
}

export async function modelsList(model: string | undefined, opts: Common): Promise<number> {
  const ws = await workspaceOf(opts);
  if (model !== undefined) {
    const { aliases, versions } = await ops.listVersions(ws, { model });
    print(opts.json, { model, aliases, versions }, () => versionsTable(model, aliases, versions));
    return 0;
  }
  const { models, summaries } = await ops.listModels(ws);
  print(opts.json, { models }, () => modelsTable(ws.paths.registry, summaries));
  return 0;
}

export async function modelsShow(ref: string, opts: Common): Promise<number> {
  const v = await ops.showVersion(await workspaceOf(opts), { ref });
  print(opts.json, v, () => cardText(v));
  return 0;
}

export async function modelsPromote(ref: string, opts: Common & { alias: string; reason?: string }): Promise<number> {
  const change = await ops.promote(await workspaceOf(opts), { ref, alias: opts.alias, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) });
  print(opts.json, change, () => changeText(change));
  return 0;
}

export async function modelsRollback(model: string, opts: Common & { to?: number; before?: Date; reason?: string }): Promise<number> {
  const change = await ops.rollback(await workspaceOf(opts), {
    model,
    ...(opts.to !== undefined ? { to: opts.to } : {}),
    ...(opts.before !== undefined ? { before: opts.before.toISOString() } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
  });
  print(opts.json, change, () => changeText(change));
  return 0;
}

export async function modelsGc(model: string, opts: Common & { keep: number; dryRun?: boolean }): Promise<number> {
  const result = await ops.gc(await workspaceOf(opts), { model, keep: opts.keep, ...(opts.dryRun ? { dryRun: true } : {}) });
  print(opts.json, { ...result, dry_run: opts.dryRun === true }, () => gcText(result, opts.dryRun === true));
  return 0;
}

export async function modelsCompare(model: string, refA: string, refB: string, opts: Common & { data?: string; slice?: string[] }): Promise<number> {
  const ws = await workspaceOf(opts);
  const { comparison: c, notes } = await withCancel({ bar: false }, (ctx) => ops.compare(ws, { model, a: refA, b: refB, ...(opts.data ? { data: opts.data } : {}), ...(opts.slice ? { slices: opts.slice } : {}) }, ctx));
  print(opts.json, { ...ops.comparisonSummary(c), notes }, () => compareText(c, notes));
  return 0;
}

function compareText(c: VersionComparison, notes: string[]): string {
  const name = (side: 'a' | 'b') => `${c.model}:${c[side].version}${c[side].aliases.length > 0 ? ` (${c[side].aliases.join(', ')})` : ''}`;
  const va = String(c.a.version);
  const vb = String(c.b.version);
  const better = (x: MetricDelta) => (x.better === 'same' ? '=' : x.better === 'a' ? va : vb);
  const signed = (x: number) => (Number.isFinite(x) ? (x > 0 ? '+' : '') + fmtNum(x) : '-');
  const lines = [`${name('a')} vs ${name('b')} on ${c.data}: ${c.rows.toLocaleString('en-US')} rows`, ...notes.map((n) => `note: ${n}`), ''];
  const rows = c.metrics.map((x) => [x.metric, fmtNum(x.a), fmtNum(x.b), signed(x.delta), better(x)]);
  lines.push(table(['METRIC', `V${va}`, `V${vb}`, `DELTA (${vb} - ${va})`, 'BETTER'], rows, [1, 2, 3]).trimEnd());
  const key = c.key_metric;
  const columns = [...new Set(c.slices.map((s) => s.slice))];
  for (const column of columns) {
    lines.push('', `by ${column}:`);
    const sliceRows = c.slices
      .filter((s) => s.slice === column)
      .map((s) => {
        const k = s.metrics.find((x) => x.metric === key);
        return [String(s.value ?? '(missing)'), s.rows.toLocaleString('en-US'), k ? fmtNum(k.a) : '-', k ? fmtNum(k.b) : '-', k ? signed(k.delta) : '-', k ? better(k) : '-', s.small ? 'few rows' : ''];
      });
    lines.push(table(['VALUE', 'ROWS', `${key.toUpperCase()} V${va}`, `V${vb}`, 'DELTA', 'BETTER', ''], sliceRows, [1, 2, 3, 4]).trimEnd());
  }
  return lines.join('\n') + '\n';
}

function versionsTable(model: string, aliases: Record<string, number>, versions: VersionSummary[]): string {
  const aliasList = Object.entries(aliases).map(([a, v]) => `${a} → ${v}`);
  const head = `${model}: ${plural(versions.length, 'version')}${aliasList.length > 0 ? `; ${aliasList.join(', ')}` : '; no aliases'}\n`;
  if (versions.length === 0) return head;
  // One metric column named after the metric when all versions agree on it.
  const names = new Set(versions.map((v) => v.key_metric ?? ''));
  const shared = names.size === 1 ? [...names][0]! : undefined;
  const metricCell = (v: VersionSummary) => {
    const name = v.key_metric;
    if (name === undefined || v.metrics[name] === undefined) return '-';
    return shared !== undefined ? fmtMetric(v.metrics[name]) : `${name} ${fmtMetric(v.metrics[name])}`;
  };
  const rows = versions.map((v) => [
    String(v.version),
    v.aliases.join(', '),
    metricCell(v),
    v.blessed ? 'yes' : 'no',
    age(v.created_at),
    v.data_until ? v.data_until.slice(0, 10) : '-',
    v.user,
  ]);
  return head + '\n' + table(['VERSION', 'ALIASES', (shared || 'KEY METRIC').toUpperCase(), 'BLESSED', 'AGE', 'DATA UNTIL', 'USER'], rows, [0]);
}

function modelsTable(registryDir: string, models: ModelSummary[]): string {
  if (models.length === 0) return `No models in ${registryDir} yet.\n`;
  const rows = models.map((m) => [
    m.model,
    String(m.versions),
    m.latest !== undefined ? String(m.latest) : '-',
    m.aliases.production !== undefined ? String(m.aliases.production) : '-',
    Object.entries(m.aliases)
      .filter(([a]) => a !== 'production')
      .map(([a, v]) => `${a} → ${v}`)
      .join(', '),
  ]);
  return table(['MODEL', 'VERSIONS', 'LATEST', 'PRODUCTION', 'OTHER ALIASES'], rows, [1, 2, 3]);
}

function cardText(v: ModelVersion): string {
  const c = v.card;
  const key = keyMetric(c);
  const metrics = Object.entries(c.metrics).map(([k, x]) => `${k} ${fmtMetric(x)}${k === key ? ' (key)' : ''}`);
  const d = c.training_data;
  const lines = [
    `${v.model}:${v.version}${v.aliases.length > 0 ? `  (${v.aliases.join(', ')})` : ''}`,
    `  created   ${c.created_at} (${age(c.created_at)} ago) by ${c.user}, prodml ${c.tool_version}, backend ${c.backend}`,
    ...(c.task ? [`  task      ${c.task}${c.label ? `, label ${c.label}` : ''}`] : []),
    `  blessed   ${c.blessed ? 'yes' : 'no'}`,
    `  metrics   ${metrics.join(', ') || '-'}`,
    `  data      ${d.rows.toLocaleString('en-US')} training rows` +
      (d.time_range ? `, ${d.time_column ?? 'time'} ${d.time_range.min} .. ${d.time_range.max}` : ', no time range'),
    ...d.datasets.map((s) => `            ${s.path}  ${s.content_hash}  ${s.rows.toLocaleString('en-US')} rows`),
    `  config    ${c.config_hash}`,
    `  params    ${JSON.stringify(c.params)}`,
    `  files     ${v.dir}`,
  ];
  return lines.join('\n') + '\n';
}

function changeText(c: AliasChange): string {
  if (!c.changed) return `${c.model}: ${c.alias} is already version ${c.to}; nothing changed\n`;
  return `${c.model}: ${c.alias} ${c.from ?? '(unset)'} → ${c.to}${c.reason ? ` (${c.reason})` : ''}\n`;
}

function gcText(r: GcResult, dryRun: boolean): string {
  const kept = r.kept.map((k) => `  ${k.version}: ${k.why}`).join('\n');
  const verb = dryRun ? 'would delete' : 'deleted';
  const deleted = r.deleted.length > 0 ? `${verb} ${plural(r.deleted.length, 'version')}: ${describeVersions([...r.deleted].sort((a, b) => a - b))}` : 'nothing to delete';
  return `${r.model}: ${deleted}\nkept:\n${kept}\n`;
}

function table(header: string[], rows: string[][], rightAligned: number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function fmtMetric(x: number): string {
  return Math.abs(x) >= 1000 ? x.toFixed(1) : Number(x.toPrecision(4)).toString();
}

function age(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
