// skynet scheduling: many services on a few workers, each service on one worker at a time but on many over
// a run; mailbox draining follows skynet's worker weights.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { turnSize, workerWeight } from '../../src/server/weights.js';
import { Client, inBatches, startServer } from './client.js';

test('worker weights and turn sizes follow skynet_start.c / skynet_server.c', () => {
  assert.deepEqual(
    [0, 3, 4, 7, 8, 15, 16, 23, 24, 31, 32, 40].map(workerWeight),
    [-1, -1, 0, 0, 1, 1, 2, 2, 3, 3, 0, 0],
  );
  // skynet_server.c 309-319: n = (length - 1) >> weight counted from the first message (i = 0), at least 1.
  // weight -1: one message; 0: all but one; 1: half of the rest; 2: a quarter; 3: an eighth.
  assert.equal(turnSize(100, -1), 1);
  assert.equal(turnSize(100, 0), 99);
  assert.equal(turnSize(100, 1), 49);
  assert.equal(turnSize(100, 2), 24);
  assert.equal(turnSize(100, 3), 12);
  assert.equal(turnSize(2, 0), 1);
  assert.equal(turnSize(3, 0), 2);
  assert.equal(turnSize(9, 3), 1);
  assert.equal(turnSize(10, 3), 1);
  assert.equal(turnSize(17, 3), 2);
  assert.equal(turnSize(1, 3), 1);
  assert.equal(turnSize(0, 0), 0);
});

test('128 services on 8 workers: most run on more than one worker', async () => {
  const h = await startServer({ threads: 8, logoutFreeDelayMs: 0 });
  try {
    const clients = await inBatches(128, 64, async (i) => {
      const c = await Client.open(h.url);
      assert.equal((await c.login(`sched-${i}`))?.t, 'ok');
      return c;
    });
    // Each client waits for each reply, so each message is its own turn on whichever worker is free.
    await Promise.all(
      clients.map(async (c) => {
        for (let k = 0; k < 12; k++) assert.equal((await c.msg())?.t, 'ok');
      }),
    );
    const services = await h.services();
    assert.equal(services.length, 128);
    const multi = services.filter((s) => s.workersSeen > 1).length;
    const seen = services.map((s) => s.workersSeen);
    assert.ok(
      multi > services.length / 2,
      `only ${multi} of ${services.length} services ran on more than one worker (workersSeen ${seen.join(',')})`,
    );
    assert.ok(Math.max(...seen) <= 8);
    const stats = await h.stats();
    assert.equal(stats.counters.messages, 128 * 12);
    assert.equal(stats.counters.errors, 0);
    assert.equal(stats.mailboxMax, 0);
    await Promise.all(clients.map((c) => c.close()));
  } finally {
    await h.stop();
  }
});
