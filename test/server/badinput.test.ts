// Bad input over real connections: each bad frame earns an err reply with a stable code or a close with a
// proper code, is counted, and never disturbs another player.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode } from '../../src/server/protocol.js';
import { Client, startServer } from './client.js';
import { waitFor } from '../helpers/wait.js';

test('bad frames get error replies or closes; other players keep being served; errors counted', async () => {
  const h = await startServer({ maxFrameBytes: 4096, logoutFreeDelayMs: 0 });
  try {
    const good = await Client.open(h.url);
    assert.deepEqual(await good.login('good'), { t: 'ok', seq: 1, op: 'login' });
    const before = (await h.stats()).counters.errors;
    const bad = await Client.open(h.url);
    const expectErr = async (frame: object | string | Buffer, code: string, seq: number | null): Promise<void> => {
      const r = await bad.request(frame);
      assert.equal(r?.t, 'err', `reply to ${String(frame)}`);
      assert.equal(r.t === 'err' && r.code, code);
      assert.equal(r.t === 'err' && r.seq, seq);
      // The good player is still served between every bad frame.
      assert.equal((await good.msg())?.t, 'ok');
    };

    await expectErr('{not json', 'BAD_FRAME', null);
    await expectErr('[1,2]', 'BAD_FRAME', null);
    await expectErr({ seq: 3 }, 'BAD_FRAME', 3);
    await expectErr({ t: 'dance', seq: 4 }, 'UNKNOWN_TYPE', 4);
    await expectErr({ t: 'msg' }, 'BAD_FRAME', null);
    await expectErr({ t: 'msg', seq: 6 }, 'NOT_LOGGED_IN', 6);
    await expectErr({ t: 'logout', seq: 7 }, 'NOT_LOGGED_IN', 7);
    await expectErr({ t: 'login', seq: 8, player: '' }, 'BAD_FRAME', 8);
    await expectErr({ t: 'login', seq: 9, player: 'good' }, 'ALREADY_LOGGED_IN', 9);
    assert.deepEqual(await bad.login('bad'), { t: 'ok', seq: 1, op: 'login' });
    await expectErr({ t: 'login', seq: 10, player: 'other' }, 'ALREADY_LOGGED_IN', 10);
    await expectErr(Buffer.from([1, 2, 3]), 'BAD_FRAME', null);
    assert.equal((await bad.msg())?.t, 'ok', 'a connection that sent bad frames still works');
    const after = await h.stats();
    assert.equal(after.counters.errors - before, 11);

    // Over maxFrameBytes: ws closes with 1009 and the server counts it.
    const big = await Client.open(h.url);
    big.send({ t: 'msg', seq: 1, body: 'x'.repeat(8192) });
    assert.equal((await big.closed).code, CloseCode.tooBig);
    assert.equal((await good.msg())?.t, 'ok');
    await bad.close();
    await waitFor('the server to see the close', async () => (await h.stats()).online === 1);
    const end = await h.stats();
    assert.equal(end.counters.errors - before, 12);
    await good.close();
  } finally {
    await h.stop();
  }
});

test('a client that does not read its replies is paused, not buffered without bound', async () => {
  const h = await startServer({ sendHighWaterBytes: 16 * 1024, logoutFreeDelayMs: 0 });
  try {
    const slow = await Client.open(h.url);
    const sock = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    sock.pause(); // stop reading replies: once the kernel's buffers are full, the server's writes back up
    // Each frame earns a ~120-byte err reply: 60 000 of them are 7 MB, more than loopback buffers hold.
    const total = 60_000;
    const type = 'x'.repeat(40);
    for (let i = 0; i < total; i++) slow.send({ t: type, seq: i });
    const other = await Client.open(h.url);
    // The one gate thread reads the slow client's frames until its replies back up; on a busy machine that can
    // take the other client's login well past the usual 10 s of waiting: served late is still served.
    const slowMachine = 60_000;
    other.send({ t: 'login', seq: 1, player: 'other' });
    assert.equal((await other.next(slowMachine))?.t, 'ok');
    await new Promise((r) => setTimeout(r, 500));
    let s = await h.stats();
    for (let k = 0; k < 40 && (s.gate?.paused ?? 0) === 0; k++) {
      await new Promise((r) => setTimeout(r, 100));
      s = await h.stats();
    }
    assert.equal(s.gate?.paused, 1, 'the slow connection is paused');
    const taken = s.counters.errors;
    other.send({ t: 'msg', seq: 2, kind: 'move' });
    assert.equal((await other.next(slowMachine))?.t, 'ok', 'others are served while one client is stalled');
    await new Promise((r) => setTimeout(r, 300));
    const still = (await h.stats()).counters.errors;
    assert.equal(still, taken, 'nothing more is read from a paused connection');
    assert.ok(taken < total, `the server took all ${total} frames from a client that reads nothing`);
    // Every reply still arrives, in order, once the client reads again.
    sock.resume();
    for (let i = 0; i < total; i++) {
      const r = await slow.next();
      assert.ok(r?.t === 'err' && r.code === 'UNKNOWN_TYPE' && r.seq === i, `reply ${i}: ${JSON.stringify(r)}`);
    }
    const end = await h.stats();
    assert.equal(end.gate?.paused, 0);
    assert.equal(end.counters.errors, total);
    await slow.close();
    await other.close();
  } finally {
    await h.stop();
  }
});
