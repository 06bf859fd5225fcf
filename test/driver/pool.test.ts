import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { WebSocketServer } from 'ws';
import { setTimeout as delay } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import { BotPool, mergePhases } from '../../src/driver/bots/pool.js';
import { readThreads } from '../../src/proc/threads.js';
import { BOT_THREAD_NAME } from '../../src/server/threads.js';

/** A loopback port with nobody listening. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A bare game server on loopback: answers every frame with `ok` and counts the game messages. */
async function countingServer(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let received = 0;
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; seq: number };
      if (m.t === 'msg') received++;
      ws.send(JSON.stringify({ t: 'ok', seq: m.seq, op: m.t }));
    }),
  );
  return {
    port: (wss.address() as { port: number }).port,
    received: () => received,
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

test('connection failures are counted per phase and the players are asked for again', { timeout: 30_000 }, async () => {
  const port = await closedPort();
  const pool = new BotPool({
    url: `ws://127.0.0.1:${port}`,
    workers: 2,
    playerPrefix: 't',
    thinkTimeMs: 0,
    rate: 1,
    phase: '0:ramp',
  });
  try {
    pool.setTarget(20);
    assert.equal(pool.count as number, 20, 'the pool means to have 20 players at once');
    for (let i = 0; i < 50 && pool.totals().connectFailures < 20; i++) await delay(100);
    const t = pool.totals();
    assert.equal(t.connectFailures, 20, 'every refused connect is counted');
    assert.equal(t.online, 0);
    // Each bot host names its thread, so per-thread CPU tells the bots from the run engine and Node's helpers.
    assert.equal(readThreads('self').filter((x) => x.name === BOT_THREAD_NAME).length, 2);
    // The failed players no longer count: the next tick asks for them again.
    for (let i = 0; i < 20 && pool.count !== 0; i++) await delay(50);
    assert.equal(pool.count, 0);
    pool.setTarget(20);
    for (let i = 0; i < 50 && pool.totals().connectFailures < 40; i++) await delay(100);
    assert.equal(pool.totals().connectFailures, 40);
  } finally {
    const phases = await pool.stop();
    assert.equal(phases['0:ramp']!.connectFailures, 40, 'failures land in the phase they happened in');
  }
});

test(
  'the bots send the rate asked for when a tick holds many messages (200 players at 10/s on 2 hosts)',
  { timeout: 60_000 },
  async () => {
    // At 2 000 messages/s each host's 20 ms tick holds about 20 messages; a bound on draws re-read from the
    // shrinking count once capped a tick at about 17 of them (88% of the rate).
    const { port, received, close } = await countingServer();
    const pool = new BotPool({
      url: `ws://127.0.0.1:${port}`,
      workers: 2,
      playerPrefix: 'r',
      thinkTimeMs: 0,
      rate: 10,
      phase: '0:hold',
    });
    try {
      pool.setTarget(200);
      for (let i = 0; i < 200 && pool.totals().online < 200; i++) await delay(50);
      assert.equal(pool.totals().online, 200);
      await delay(500);
      const r0 = received();
      const t0 = performance.now();
      await delay(4000);
      const got = received() - r0;
      const asked = (10 * 200 * (performance.now() - t0)) / 1000;
      assert.ok(
        got >= 0.95 * asked,
        `the server got ${got} messages of ${Math.round(asked)} asked (${((got / asked) * 100).toFixed(1)}%)`,
      );
      assert.ok(got <= 1.05 * asked, `the server got ${got} messages, more than the ${Math.round(asked)} asked`);
    } finally {
      await pool.stop();
      await close();
    }
  },
);

test(
  'players still in their think time neither send nor count toward the rate (100 sending, 100 thinking)',
  { timeout: 60_000 },
  async () => {
    const { port, received, close } = await countingServer();
    const thinkMs = 6000;
    const pool = new BotPool({
      url: `ws://127.0.0.1:${port}`,
      workers: 2,
      playerPrefix: 'k',
      thinkTimeMs: thinkMs,
      rate: 10,
      phase: '0:ramp',
    });
    try {
      pool.setTarget(100);
      for (let i = 0; i < 200 && pool.totals().online < 100; i++) await delay(50);
      assert.equal(pool.totals().online, 100);
      await delay(thinkMs + 500);
      // The second hundred log in now: until their think time is over (not before thinkMs from here), only the
      // first hundred send, at 10 messages each per second.
      const second = performance.now();
      pool.setTarget(200);
      for (let i = 0; i < 200 && pool.totals().online < 200; i++) await delay(50);
      assert.equal(pool.totals().online, 200);
      await delay(200);
      const r0 = received();
      const t0 = performance.now();
      await delay(2000);
      const got = received() - r0;
      const t1 = performance.now();
      assert.ok(t1 < second + thinkMs, `the window ended ${Math.round(t1 - second)} ms after the second logins began`);
      const asked = (10 * 100 * (t1 - t0)) / 1000;
      assert.ok(got >= 0.9 * asked, `the server got ${got} messages of ${Math.round(asked)} asked`);
      assert.ok(got <= 1.1 * asked, `the server got ${got} messages, more than the ${Math.round(asked)} asked`);
    } finally {
      await pool.stop();
      await close();
    }
  },
);

test('mergePhases adds the hosts histograms and counters', () => {
  const a = hdr.build();
  const b = hdr.build();
  for (let i = 1; i <= 100; i++) a.recordValue(i * 10);
  for (let i = 1; i <= 100; i++) b.recordValue(1000 + i * 10);
  const merged = mergePhases([
    {
      '1:hold': {
        sent: 100,
        answered: 100,
        errors: 1,
        connectFailures: 0,
        histogram: hdr.encodeIntoCompressedBase64(a),
      },
    },
    {
      '1:hold': {
        sent: 101,
        answered: 100,
        errors: 2,
        connectFailures: 3,
        histogram: hdr.encodeIntoCompressedBase64(b),
      },
    },
  ]);
  const m = merged['1:hold']!;
  assert.equal(m.sent, 201);
  assert.equal(m.errors, 3);
  assert.equal(m.connectFailures, 3);
  assert.equal(m.histogram.totalCount, 200);
  assert.ok(Math.abs(m.histogram.getValueAtPercentile(50) - 1000) <= 10);
  assert.ok(Math.abs(m.histogram.maxValue - 2000) <= 2);
});
