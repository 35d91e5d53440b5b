/** bench:serve's wrk driver against a real wrk and a server that counts what it gets. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { hasCommand, parseWrk, wrk, writeWrkScript } from '../../bench/wrkLoad';
import { tempDir } from '../helpers/fixtures';

test('wrk posts every body as written, and parseWrk counts what the server answered', { skip: !hasCommand('wrk') && 'wrk is not installed (apt-get install wrk)' }, async () => {
  // Bodies that end a Lua long string at level 0 and 1, so the script needs level 2.
  const bodies = ['{"instances":[{"a":1}]}', '{"x":"]]"}', '{"y":"]=]", "fail": true}'];
  const received = new Map<string, number>();
  let ok = 0;
  let failed = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.set(body, (received.get(body) ?? 0) + 1);
      const status = body.includes('"fail"') ? 500 : 200;
      if (status === 200) ok++;
      else failed++;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const script = path.join(tempDir('prodml-wrk-'), 'bodies.lua');
    writeWrkScript(script, bodies);
    assert.match(fs.readFileSync(script, 'utf8'), /\[==\[/);
    const run = await wrk(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, script, 1, 4);
    assert.deepEqual([...received.keys()].sort(), [...bodies].sort(), 'each body arrives byte for byte');
    // wrk counts the answers it read; the server may have answered a request or two per connection
    // that wrk stopped waiting for when its time was up.
    assert.ok(run.ok <= ok && run.ok >= ok - 4 * 2, `wrk ${run.ok} 2xx against the server's ${ok}`);
    assert.ok(run.failed <= failed && run.failed >= failed - 4 * 2, `wrk ${run.failed} failed against the server's ${failed}`);
    assert.ok(ok > 100, `${ok} answered in 1 s`);
    assert.equal(run.rps, run.ok, 'requests per second of a 1-second run');
    assert.ok(run.p50 > 0 && run.p50 <= run.p99, `p50 ${run.p50} ms, p99 ${run.p99} ms`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('parseWrk reads microseconds, milliseconds and seconds, and socket errors as failures', () => {
  const report = `Running 3s test @ http://127.0.0.1:1/
  1 threads and 10 connections
  Latency Distribution
     50%  412.00us
     75%    1.20ms
     90%    1.90ms
     99%    1.05s
  60000 requests in 3.00s, 9.00MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 10
Requests/sec:  20000.00
`;
  assert.deepEqual(parseWrk(report, 3), { rps: (60000 - 10) / 3, ok: 59990, failed: 16, p50: 0.412, p99: 1050 });
});
