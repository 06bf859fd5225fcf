import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import { BotPool, mergePhases } from '../../src/driver/bots/pool.js';

/** A loopback port with nobody listening. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('connection failures are counted per phase and the players are asked for again', { timeout: 30_000 }, async () => {
  const port = await closedPort();
  const pool = new BotPool({ url: `ws://127.0.0.1:${port}`, workers: 2, playerPrefix: 't', thinkTimeMs: 0, rate: 1, phase: '0:ramp' });
  try {
    pool.setTarget(20);
    assert.equal(pool.count as number, 20, 'the pool means to have 20 players at once');
    for (let i = 0; i < 50 && pool.totals().connectFailures < 20; i++) await delay(100);
    const t = pool.totals();
    assert.equal(t.connectFailures, 20, 'every refused connect is counted');
    assert.equal(t.online, 0);
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

test('mergePhases adds the hosts histograms and counters', () => {
  const a = hdr.build();
  const b = hdr.build();
  for (let i = 1; i <= 100; i++) a.recordValue(i * 10);
  for (let i = 1; i <= 100; i++) b.recordValue(1000 + i * 10);
  const merged = mergePhases([
    { '1:hold': { sent: 100, answered: 100, errors: 1, connectFailures: 0, histogram: hdr.encodeIntoCompressedBase64(a) } },
    { '1:hold': { sent: 101, answered: 100, errors: 2, connectFailures: 3, histogram: hdr.encodeIntoCompressedBase64(b) } },
  ]);
  const m = merged['1:hold']!;
  assert.equal(m.sent, 201);
  assert.equal(m.errors, 3);
  assert.equal(m.connectFailures, 3);
  assert.equal(m.histogram.totalCount, 200);
  assert.ok(Math.abs(m.histogram.getValueAtPercentile(50) - 1000) <= 10);
  assert.ok(Math.abs(m.histogram.maxValue - 2000) <= 2);
});
