/**
 * A database dataset that cannot be reached, whose table is missing or whose query is not a
 * SELECT is an error on its url: line of prodml.yaml in the editor, worded like the CLI's message
 * and without the password; a reachable one is not flagged. Against a real PostgreSQL 15: a wrong
 * password, a query that fails and a column type ProdML cannot map, the same way.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, startPostgres, type Postgres } from '../helpers/dbServers';
import { tempDir } from '../helpers/fixtures';
import { LspClient } from '../helpers/lspClient';
import { loadPostgres, loadSqlite, makeRows } from '../helpers/sourceFixtures';

const ws = tempDir('prodml-lsp-sources-');
let lsp: LspClient;
let pg: Postgres | { skip: string };
const opened = new Set<string>();

/** Opens the file in the server, or changes its text when it is open already. */
function show(file: string, text: string): void {
  if (opened.has(file)) lsp.change(file, text);
  else lsp.open(file, text, 'yaml');
  opened.add(file);
}

before(async () => {
  loadSqlite(path.join(ws, 'rows.db'), 'readings', makeRows(50));
  pg = await startPostgres();
  if ('port' in pg) {
    await loadPostgres(pg, 'readings', makeRows(50));
    fs.writeFileSync(path.join(ws, '.env'), `SHOP_PW=${pg.password}\nBAD_PW=not-it-77\n`);
  }
  lsp = await LspClient.start(ws);
});
after(async () => {
  await lsp?.stop();
  if (pg && 'stop' in pg) await pg.stop();
});

describe('database datasets in prodml.yaml', () => {
  test('each failing source is an error on its url line; a good one is not', async () => {
    const closed = await freePort();
    const file = path.join(ws, 'prodml.yaml');
    const text = [
      'datasets:',
      '  good:',
      '    url: sqlite:///rows.db',
      '    table: readings',
      '  missing:',
      '    url: sqlite:///rows.db',
      '    table: nope',
      '  down:',
      `    url: postgresql://ana:s3cret-pw@127.0.0.1:${closed}/shop`,
      '    table: orders',
      '  writes:',
      '    url: sqlite:///rows.db',
      '    query: DELETE FROM readings',
      '',
    ].join('\n');
    fs.writeFileSync(file, text);
    show(file, text);
    const d = await lsp.waitForDiagnostics(file, (x) => x.length >= 3);
    const byLine = Object.fromEntries(d.map((x) => [x.range.start.line, x.message]));
    assert.equal(byLine[2], undefined, JSON.stringify(d));
    assert.match(byLine[5] ?? '', /dataset missing \(sqlite:\/\/\/rows\.db, table nope\): table not found: no such table: nope/);
    assert.match(byLine[8] ?? '', /dataset down \(postgresql:\/\/ana:\*\*\*@127\.0\.0\.1:\d+\/shop, table orders\): cannot connect to 127\.0\.0\.1:\d+: connection refused/);
    assert.match(byLine[11] ?? '', /datasets\.writes\.query: is not a SELECT statement/);
    assert.ok(!JSON.stringify(d).includes('s3cret-pw'));
    assert.equal(d.find((x) => x.range.start.line === 8)?.range.start.character, 9);
  });

  test('PostgreSQL: a wrong password, a failing query and an unmappable column type, each on its url line', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const url = pg.url.replace('postgres@', 'postgres:${SHOP_PW}@');
    const file = path.join(ws, 'prodml.yaml');
    const text = [
      'datasets:',
      '  shop:',
      `    url: ${url}`,
      '    table: readings',
      '  locked:',
      `    url: ${pg.url.replace('postgres@', 'postgres:${BAD_PW}@')}`,
      '    table: readings',
      '  broken:',
      `    url: ${url}`,
      '    query: SELECT no_such_column FROM readings',
      '  typed:',
      `    url: ${url}`,
      `    query: "SELECT id, '{\\"a\\": 1}'::jsonb AS payload FROM readings"`,
      '',
    ].join('\n');
    fs.writeFileSync(file, text);
    show(file, text);
    const d = await lsp.waitForDiagnostics(file, (x) => x.filter((m) => /dataset (locked|broken|typed)/.test(m.message)).length >= 3);
    const byLine = Object.fromEntries(d.map((x) => [x.range.start.line, x.message]));
    assert.equal(byLine[2], undefined, JSON.stringify(d));
    assert.match(byLine[5] ?? '', /dataset locked \(postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres, table readings\): authentication failed for user postgres/);
    assert.match(byLine[8] ?? '', /dataset broken \(.*, query\): the query failed: column "no_such_column" does not exist/);
    assert.match(byLine[11] ?? '', /dataset typed \(.*, query\): column "payload" has type jsonb, which ProdML cannot map/);
    assert.equal(d.length, 3, JSON.stringify(d));
    const all = JSON.stringify(d);
    assert.ok(!all.includes(pg.password) && !all.includes('not-it-77'));
  });
});
