/**
 * A database dataset that cannot be reached, whose table is missing or whose query is not a
 * SELECT is an error on its url: line of prodml.yaml in the editor, worded like the CLI's message
 * and without the password; a reachable one is not flagged.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/dbServers';
import { tempDir } from '../helpers/fixtures';
import { LspClient } from '../helpers/lspClient';
import { loadSqlite, makeRows } from '../helpers/sourceFixtures';

const ws = tempDir('prodml-lsp-sources-');
let lsp: LspClient;

before(async () => {
  loadSqlite(path.join(ws, 'rows.db'), 'readings', makeRows(50));
  lsp = await LspClient.start(ws);
});
after(async () => lsp?.stop());

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
    lsp.open(file, text, 'yaml');
    const d = await lsp.waitForDiagnostics(file, (x) => x.length >= 3);
    const byLine = Object.fromEntries(d.map((x) => [x.range.start.line, x.message]));
    assert.equal(byLine[2], undefined, JSON.stringify(d));
    assert.match(byLine[5] ?? '', /dataset missing \(sqlite:\/\/\/rows\.db, table nope\): table not found: no such table: nope/);
    assert.match(byLine[8] ?? '', /dataset down \(postgresql:\/\/ana:\*\*\*@127\.0\.0\.1:\d+\/shop, table orders\): cannot connect to 127\.0\.0\.1:\d+: connection refused/);
    assert.match(byLine[11] ?? '', /datasets\.writes\.query: is not a SELECT statement/);
    assert.ok(!JSON.stringify(d).includes('s3cret-pw'));
    assert.equal(d.find((x) => x.range.start.line === 8)?.range.start.character, 9);
  });
});
