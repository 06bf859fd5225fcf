// The server's threads are told apart by name: the gate is the main thread, worker N is simload-wN.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readThreads } from '../../src/proc/threads.js';
import { BOT_THREAD_NAME, splitClientThreads, splitServerThreads, workerThreadName } from '../../src/server/threads.js';
import { Client, startServer } from './client.js';

test("a server's workers name their threads, and the split by role adds up to the process", async () => {
  const h = await startServer({ threads: 3, logoutFreeDelayMs: 0 });
  try {
    const c = await Client.open(h.url);
    assert.equal((await c.login('threads-1'))?.t, 'ok');
    for (let k = 0; k < 20; k++) assert.equal((await c.msg())?.t, 'ok');
    const threads = readThreads(h.pid);
    const names = threads.map((t) => t.name);
    for (let i = 0; i < 3; i++)
      assert.equal(
        names.filter((n) => n === workerThreadName(i)).length,
        1,
        `${workerThreadName(i)} in ${names.join(',')}`,
      );
    assert.equal(names.filter((n) => n.startsWith('simload-w')).length, 3);
    const split = splitServerThreads(h.pid, threads);
    assert.equal(split.workers.length, 3);
    const total = threads.reduce((a, t) => a + t.cpu, 0);
    assert.ok(Math.abs(split.gate + split.workers.reduce((a, b) => a + b, 0) + split.other - total) < 1e-9);
    assert.equal(split.gate, threads.find((t) => t.tid === h.pid)!.cpu);
    assert.ok(split.gate > 0, 'the gate thread used CPU');
    await c.close();
  } finally {
    await h.stop();
  }
});

test('a load process splits into its main thread, its named bot threads, the kernel-bound pool and the rest', () => {
  const t = (tid: number, name: string, cpu: number, system: number) => ({ tid, name, cpu, system });
  const split = splitClientThreads(100, [
    t(107, BOT_THREAD_NAME, 2.5, 0.9),
    t(100, 'node', 4, 1),
    t(103, BOT_THREAD_NAME, 3, 1.2),
    t(110, 'node', 0.7, 0.7),
    t(111, 'node', 0.5, 0.46),
    t(101, 'node', 1.2, 0.1),
    t(112, 'node', 0, 0),
  ]);
  assert.deepEqual(split, { main: 4, bots: [3, 2.5], pool: 1.2, other: 1.2 });
});
