// The multiplexed gate: one real WebSocket on loopback carries many players, one per channel. Each
// channel is a player session with its own agent and state, as on a plain connection; closing the connection
// disconnects them all; bad channel frames and logins past the limit get their stable codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { ServerHandle } from '../../src/server/launch.js';
import type { ServerMessage } from '../../src/server/protocol.js';
import { startServer } from './client.js';
import { waitFor } from '../helpers/wait.js';

type Reply = ServerMessage & { ch?: number | null };

/** A mux client: replies are sorted into per-channel inboxes (and `none` for ch null), read in order. */
class MuxClient {
  readonly byChannel = new Map<number | null, Reply[]>();
  readonly all: Reply[] = [];
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Reply;
      this.all.push(m);
      const key = m.ch === undefined ? null : m.ch;
      let box = this.byChannel.get(key);
      if (!box) this.byChannel.set(key, (box = []));
      box.push(m);
    });
    this.closed = new Promise((r) => ws.on('close', (code) => r(code)));
    ws.on('error', () => undefined);
  }

  static open(url: string, query = '?mux=1'): Promise<MuxClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url}/${query}`, { perMessageDeflate: false });
      const c = new MuxClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(m: object | string): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Waits until channel `ch` has `n` replies; returns them. */
  async replies(ch: number | null, n: number, timeoutMs = 20_000): Promise<Reply[]> {
    await waitFor(`${n} replies on channel ${ch}`, async () => (this.byChannel.get(ch)?.length ?? 0) >= n, timeoutMs);
    return this.byChannel.get(ch)!.slice(0, n);
  }
}

async function withServer(
  over: Parameters<typeof startServer>[0],
  fn: (h: ServerHandle) => Promise<void>,
): Promise<void> {
  const h = await startServer({ threads: 2, logoutFreeDelayMs: 0, ...over });
  try {
    await fn(h);
  } finally {
    await h.stop();
  }
}

test('one mux connection: 50 players log in, message and log out, each with its own agent and state', async () => {
  await withServer({}, async (h) => {
    const base = (await h.purge()).alloc.allocated;
    const c = await MuxClient.open(h.url);
    const N = 50;
    const chans = Array.from({ length: N }, (_, i) => 1000 + i * 7);
    for (const ch of chans) c.send({ t: 'login', seq: 1, ch, player: `mux-${ch}` });
    for (const ch of chans) for (let k = 0; k < 3; k++) c.send({ t: 'msg', seq: 2 + k, ch, kind: 'move' });
    for (const ch of chans) {
      const r = await c.replies(ch, 4);
      // Per channel, replies come in request order and name their channel.
      assert.deepEqual(r, [
        { t: 'ok', seq: 1, op: 'login', ch },
        { t: 'ok', seq: 2, op: 'msg', ch },
        { t: 'ok', seq: 3, op: 'msg', ch },
        { t: 'ok', seq: 4, op: 'msg', ch },
      ]);
    }
    const peak = await h.purge();
    assert.equal(peak.online, N);
    assert.equal(peak.services, N, 'one agent service per player, as on plain connections');
    assert.equal(peak.gate?.connections, 1, 'all on one socket');
    assert.equal(peak.gate?.muxConnections, 1);
    assert.equal(peak.gate?.channels, N);
    assert.equal(peak.counters.logins, N);
    assert.equal(peak.counters.messages, 3 * N);
    assert.equal(peak.counters.errors, 0);
    const services = await h.services();
    assert.equal(services.filter((s) => s.players === 1).length, N);
    const perPlayer = (peak.alloc.allocated - base) / N;
    // The default profile draws ~145 KiB per player (60 objects); a shared state would be a fraction of that.
    assert.ok(perPlayer > 100 * 1024 && perPlayer < 200 * 1024, `allocated per player ${Math.round(perPlayer)} B`);

    // Half log out; the channel then carries another player.
    for (const ch of chans.slice(0, N / 2)) c.send({ t: 'logout', seq: 5, ch });
    for (const ch of chans.slice(0, N / 2)) c.send({ t: 'login', seq: 6, ch, player: `again-${ch}` });
    for (const ch of chans.slice(0, N / 2)) {
      const r = await c.replies(ch, 6);
      assert.deepEqual(r.slice(4), [
        { t: 'ok', seq: 5, op: 'logout', ch },
        { t: 'ok', seq: 6, op: 'login', ch },
      ]);
    }
    for (const ch of chans.slice(0, N / 2)) c.send({ t: 'logout', seq: 7, ch });
    await Promise.all(chans.slice(0, N / 2).map((ch) => c.replies(ch, 7)));
    const half = await h.purge();
    assert.equal(half.online, N / 2);
    assert.equal(half.counters.logins, N + N / 2);
    assert.equal(half.counters.logouts, N);
    assert.equal(half.gate?.channels, N / 2);
    await waitFor("the leavers' agents to exit", async () => (await h.stats()).services === N / 2);
    const left = (await h.purge()).alloc.allocated - base;
    assert.ok(
      Math.abs(left / (N / 2) - perPlayer) < perPlayer * 0.35,
      `after half left: ${Math.round(left / (N / 2))} B per remaining player vs ${Math.round(perPlayer)} B`,
    );

    // Closing the connection disconnects every player on it.
    c.ws.close(1000);
    await c.closed;
    await waitFor('every player to be disconnected', async () => {
      const s = await h.stats();
      return s.online === 0 && s.services === 0 && (s.leaving ?? 0) === 0;
    });
    const after = await h.purge();
    assert.equal(after.counters.logouts, N + N / 2);
    assert.equal(after.gate?.connections, 0);
    assert.equal(after.gate?.channels, 0);
    assert.ok(
      after.alloc.allocated - base < perPlayer * 2,
      `allocated after close: ${after.alloc.allocated - base} B above baseline`,
    );
  });
});

test('bad channel frames get BAD_CHANNEL; ch on a plain connection too; other channels keep working', async () => {
  await withServer({}, async (h) => {
    const c = await MuxClient.open(h.url);
    c.send({ t: 'login', seq: 1, player: 'no-channel' });
    c.send({ t: 'msg', seq: 2, ch: -1 });
    c.send({ t: 'msg', seq: 3, ch: 2 ** 31 });
    c.send({ t: 'msg', seq: 4, ch: 1.5 });
    c.send({ t: 'msg', seq: 5, ch: '7' });
    c.send('not json');
    const none = await c.replies(null, 6);
    assert.deepEqual(
      none.map((r) => [r.t, r.seq, r.t === 'err' ? r.code : '', r.ch]),
      [
        ['err', 1, 'BAD_CHANNEL', null],
        ['err', 2, 'BAD_CHANNEL', null],
        ['err', 3, 'BAD_CHANNEL', null],
        ['err', 4, 'BAD_CHANNEL', null],
        ['err', 5, 'BAD_CHANNEL', null],
        ['err', null, 'BAD_FRAME', null],
      ],
    );
    assert.match((none[0] as { message: string }).message, /missing "ch"/);
    // A valid channel still works, including the largest one; its errors name it.
    c.send({ t: 'msg', seq: 1, ch: 2147483647 });
    c.send({ t: 'login', seq: 2, ch: 2147483647, player: 'max-ch' });
    c.send({ t: 'bogus', seq: 3, ch: 2147483647 });
    const r = await c.replies(2147483647, 3);
    assert.deepEqual(
      r.map((x) => [x.t, x.seq, x.t === 'err' ? x.code : x.op, x.ch]),
      [
        ['err', 1, 'NOT_LOGGED_IN', 2147483647],
        ['ok', 2, 'login', 2147483647],
        ['err', 3, 'UNKNOWN_TYPE', 2147483647],
      ],
    );
    // A plain connection refuses `ch` and keeps working without it.
    const p = await MuxClient.open(h.url, '');
    p.send({ t: 'login', seq: 1, ch: 3, player: 'plain' });
    p.send({ t: 'login', seq: 2, player: 'plain' });
    await waitFor('2 plain replies', async () => p.all.length >= 2);
    assert.equal(p.all[0]!.t, 'err');
    assert.equal((p.all[0] as { code: string }).code, 'BAD_CHANNEL');
    assert.equal(p.all[0]!.ch, undefined, 'plain replies have no ch');
    assert.deepEqual(p.all[1], { t: 'ok', seq: 2, op: 'login' });
    const s = await h.stats();
    assert.equal(s.online, 2);
    assert.equal(s.counters.errors, 9);
    p.ws.close();
    c.ws.close();
  });
});

test('TOO_MANY_CHANNELS past maxChannelsPerConnection; a freed channel makes room; the option is validated', async () => {
  await withServer({ maxChannelsPerConnection: 5 }, async (h) => {
    const c = await MuxClient.open(h.url);
    for (let ch = 0; ch < 7; ch++) c.send({ t: 'login', seq: 1, ch, player: `lim-${ch}` });
    const codes = [];
    for (let ch = 0; ch < 7; ch++) {
      const [r] = await c.replies(ch, 1);
      codes.push(r!.t === 'ok' ? 'ok' : r!.code);
    }
    assert.deepEqual(codes, ['ok', 'ok', 'ok', 'ok', 'ok', 'TOO_MANY_CHANNELS', 'TOO_MANY_CHANNELS']);
    assert.equal((await h.stats()).online, 5);
    // Another connection has its own limit.
    const d = await MuxClient.open(h.url);
    d.send({ t: 'login', seq: 1, ch: 0, player: 'other-conn' });
    assert.equal((await d.replies(0, 1))[0]!.t, 'ok');
    // A logout frees a slot for another channel.
    c.send({ t: 'logout', seq: 2, ch: 0 });
    await c.replies(0, 2);
    c.send({ t: 'login', seq: 2, ch: 6, player: 'lim-6' });
    assert.deepEqual((await c.replies(6, 2))[1], { t: 'ok', seq: 2, op: 'login', ch: 6 });
    assert.equal((await h.stats()).online, 6);
    c.ws.close();
    d.ws.close();
  });
  await assert.rejects(startServer({ maxChannelsPerConnection: 0 }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_SERVER_OPTIONS');
    assert.match(err.message, /maxChannelsPerConnection: must be an integer from 1 to 1000000, got 0/);
    return true;
  });
});

test('per-channel order holds across a logout and a new login, and behind errors', async () => {
  await withServer({ logoutFreeDelayMs: 0 }, async (h) => {
    const c = await MuxClient.open(h.url);
    // Pipelined without waiting: msg before login (error at once), login, msgs, logout, msg after logout
    // (error), login as another player (another service), msg.
    const frames = [
      { t: 'msg', seq: 1 },
      { t: 'login', seq: 2, player: 'ord-a' },
      { t: 'msg', seq: 3 },
      { t: 'msg', seq: 4 },
      { t: 'logout', seq: 5 },
      { t: 'msg', seq: 6 },
      { t: 'login', seq: 7, player: 'ord-b' },
      { t: 'msg', seq: 8 },
    ];
    for (let ch = 0; ch < 20; ch++)
      for (const f of frames) c.send({ ...f, ch, ...(f.player ? { player: `${f.player}-${ch}` } : {}) });
    for (let ch = 0; ch < 20; ch++) {
      const r = await c.replies(ch, frames.length);
      assert.deepEqual(
        r.map((x) => `${x.seq}:${x.t === 'ok' ? x.op : x.code}`),
        ['1:NOT_LOGGED_IN', '2:login', '3:msg', '4:msg', '5:logout', '6:NOT_LOGGED_IN', '7:login', '8:msg'],
        `channel ${ch}`,
      );
    }
    assert.equal((await h.stats()).online, 20);
    c.ws.close();
  });
});

test('a mux connection that does not read its replies is paused as a whole; other connections are served', async () => {
  await withServer({ sendHighWaterBytes: 16 * 1024 }, async (h) => {
    const slow = await MuxClient.open(h.url);
    const sock = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    sock.pause();
    // 60 000 frames over 100 channels, each earning a ~130-byte err reply: more than loopback buffers hold.
    const total = 60_000;
    const type = 'x'.repeat(40);
    for (let i = 0; i < total; i++) slow.send({ t: type, seq: i, ch: i % 100 });
    const other = await MuxClient.open(h.url);
    other.send({ t: 'login', seq: 1, ch: 0, player: 'other' });
    assert.equal((await other.replies(0, 1))[0]!.t, 'ok');
    let s = await h.stats();
    for (let k = 0; k < 50 && (s.gate?.paused ?? 0) === 0; k++) {
      await new Promise((r) => setTimeout(r, 100));
      s = await h.stats();
    }
    assert.equal(s.gate?.paused, 1, 'the slow mux connection is paused');
    const taken = s.counters.errors;
    other.send({ t: 'msg', seq: 2, ch: 0 });
    assert.deepEqual((await other.replies(0, 2))[1], { t: 'ok', seq: 2, op: 'msg', ch: 0 }, 'others are served');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await h.stats()).counters.errors, taken, 'nothing more is read from the paused connection');
    assert.ok(taken < total, `the server took all ${total} frames from a client that reads nothing`);
    // Once it reads again, every reply arrives, in order per channel.
    sock.resume();
    await waitFor('every reply', async () => slow.all.length >= total, 60_000);
    for (let ch = 0; ch < 100; ch++) {
      const seqs = slow.byChannel.get(ch)!.map((r) => r.seq);
      assert.equal(seqs.length, total / 100);
      assert.ok(
        seqs.every((q, k) => q === ch + 100 * k),
        `channel ${ch} out of order`,
      );
    }
    assert.equal((await h.stats()).gate?.paused, 0);
    slow.ws.close();
    other.ws.close();
  });
});
