// serverText: the gate writes `ok` replies from a template; the text must be exactly what JSON.stringify writes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverText, type ServerMessage } from '../../src/server/protocol.js';

test('serverText writes every reply as JSON.stringify does', () => {
  const seqs = [0, -0, 1, 42, -7, 1.5, 2 ** 53, 1e21, 5e-324, -1e-7];
  const replies: ServerMessage[] = [];
  for (const seq of seqs) for (const op of ['login', 'msg', 'logout'] as const) replies.push({ t: 'ok', seq, op });
  replies.push({ t: 'ok', seq: 3, op: 'msg', ch: 9 });
  replies.push({ t: 'err', seq: 5, code: 'BAD_FRAME', message: 'a "quoted" \\ message\n' });
  replies.push({ t: 'err', seq: null, code: 'BAD_CHANNEL', message: 'x', ch: null });
  for (const m of replies) {
    const text = serverText(m);
    assert.equal(text, JSON.stringify(m));
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(m)));
  }
});
