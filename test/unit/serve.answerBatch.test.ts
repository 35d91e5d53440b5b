/** AnswerBatch on a real http server: a turn's answers go out together, after the turn, each to its own client. */
import assert from 'node:assert/strict';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { AnswerBatch } from '../../src/core/serve/answerBatch';

// A wait long enough that no stall of a busy machine ends a turn early; and a shorter one for 'slow'
// requests, still far longer than a stall between two adds of one synchronous block.
const turnBatch = new AnswerBatch(60_000);
const SLOW_WAIT_MS = 250;
const slowBatch = new AnswerBatch(SLOW_WAIT_MS);
let waiting: { res: ServerResponse; tag: string }[] = [];
const seen: string[] = [];
let server: http.Server;
let url: string;

// The handler holds requests until three have arrived, then answers them in one synchronous block: one turn.
before(async () => {
  server = http.createServer((req, res) => {
    waiting.push({ res, tag: String(req.headers['x-tag']) });
    if (waiting.length < 3) return;
    const turn = waiting;
    waiting = [];
    const slow = turn.some(({ tag }) => tag.startsWith('slow'));
    const batch = slow ? slowBatch : turnBatch;
    for (const [k, { res: r, tag }] of turn.entries()) {
      // In a 'slow' turn the second request takes twice the batch's wait to score.
      if (slow && k === 1) {
        const until = performance.now() + 2 * SLOW_WAIT_MS;
        while (performance.now() < until);
      }
      batch.add({ res: r, status: 200, head: ['content-type', 'text/plain', 'x-echo', tag === 'bad' ? 'line\nbreak' : tag], body: `answer ${tag}`, sent: () => seen.push(`sent ${tag}`) });
      seen.push(`headersSent ${tag} ${r.headersSent}`);
    }
    batch.afterAnswers(() => seen.push(`task, all ended: ${turn.every(({ res: r }) => r.writableEnded)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const ask = (tag: string) => fetch(url, { headers: { 'x-tag': tag } }).then(async (r) => `${r.status} ${r.headers.get('x-echo')} ${await r.text()}`);

test('answers are written after the turn that scored them, in the order added, then the deferred work runs', async () => {
  seen.length = 0;
  const got = await Promise.all(['a', 'b', 'c'].map(ask));
  assert.deepEqual(got, ['200 a answer a', '200 b answer b', '200 c answer c']);
  // The three requests may arrive in any order; they are answered in the order they were added.
  const order = seen.slice(0, 3).map((s) => s.split(' ')[1]!);
  assert.deepEqual([...order].sort(), ['a', 'b', 'c']);
  assert.deepEqual(seen, [...order.map((t) => `headersSent ${t} false`), ...order.map((t) => `sent ${t}`), 'task, all ended: true']);
});

test('an answer node refuses to write closes its own connection; the others in its turn are answered', async () => {
  seen.length = 0;
  // 'bad' is echoed with a line break: writeHead throws ERR_INVALID_CHAR for that answer only.
  const got = await Promise.allSettled(['x', 'bad', 'z'].map(ask));
  assert.equal(got[0]!.status, 'fulfilled');
  assert.equal((got[0] as PromiseFulfilledResult<string>).value, '200 x answer x');
  assert.equal(got[1]!.status, 'rejected', 'the refused answer closes its connection');
  assert.equal((got[2] as PromiseFulfilledResult<string>).value, '200 z answer z');
  assert.deepEqual(seen.filter((s) => s.startsWith('sent')), ['sent x', 'sent z']);
});

test('an answer that has waited its batch\'s longest wait is written when the next one is added', async () => {
  seen.length = 0;
  const got = await Promise.all(['slow-a', 'slow-b', 'slow-c'].map(ask));
  assert.deepEqual([...got].sort(), ['200 slow-a answer slow-a', '200 slow-b answer slow-b', '200 slow-c answer slow-c']);
  const order = [seen[0], seen[2], seen[3]].map((s) => s!.split(' ')[1]!);
  // The first answer waits while the second is scored (twice the batch's wait), and goes out when
  // the second is added; the second and third, added together, wait for the end of the turn.
  assert.deepEqual(seen, [
    `headersSent ${order[0]} false`,
    `sent ${order[0]}`,
    `headersSent ${order[1]} false`,
    `headersSent ${order[2]} false`,
    `sent ${order[1]}`,
    `sent ${order[2]}`,
    'task, all ended: true',
  ]);
});

