// Each arena's decay ticks (ArenaDecay.decayTicks: the operations that advance its decay in jemalloc 5.0.x) read
// through a real server: a known workload on its one worker moves that worker's arena by at least what the
// source says, and an idle server, read as the recorder reads it, moves no arena at all.
//
// The workload: each message makes one string of ~100 KB, a large extent past the thread cache (32 KiB), so its
// allocation and its free each count once (large.nmalloc, large.ndalloc); the VM's close at logout frees any the
// collector had not. More counts (the buffer string.rep builds in, the VM itself) only add.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VariantOptions } from '../../src/alloc/options.js';
import type { AllocStats } from '../../src/alloc/stats.js';
import type { AgentScript } from '../../src/server/options.js';
import { readThreads } from '../../src/proc/threads.js';
import { workerThreadName } from '../../src/server/threads.js';
import { needsVendor, require501, VENDOR_501 } from '../native/vendor.js';
import { waitFor } from '../helpers/wait.js';
import { Client, startServer, VARIANTS } from './client.js';

const LARGE = 'function login() end\nfunction message(n) local s = string.rep("x", 100000 + n) end\n';
const script: AgentScript = {
  path: 'large.lua',
  source: LARGE,
  maxInstructions: 10_000_000,
  maxMemoryBytes: 256 * 2 ** 20,
};
const N = 200;

const ticksOf = (a: AllocStats): Map<number, number> => {
  assert.ok(a.arenas && a.arenas.length > 0, `per-arena stats: ${JSON.stringify(a.arenas)}`);
  return new Map(
    a.arenas.map((x) => {
      assert.ok(Number.isInteger(x.decayTicks) && x.decayTicks! >= 0, `arena ${x.arena}: decayTicks ${x.decayTicks}`);
      return [x.arena, x.decayTicks!];
    }),
  );
};

require501();
const cases: [string, VariantOptions, string | false][] = [
  ['jemalloc 5.3.0', VARIANTS['madv-free']!, false],
  [
    'jemalloc 5.0.1',
    { name: 'madv-free-501', build: 'madv-free', jemalloc: VENDOR_501 },
    needsVendor('jemalloc-5.0.1'),
  ],
];

for (const [name, variant, skip] of cases) {
  test(
    `${name}: ${N} large strings made and freed on a worker move its arena's decay ticks by at least ${2 * N}; an idle server moves none`,
    { skip, timeout: 120_000 },
    async () => {
      const h = await startServer({ threads: 1, logoutFreeDelayMs: 0, agentModel: 'lua', script }, variant);
      try {
        const c = await Client.open(h.url);
        assert.equal((await c.login('ticks-1'))?.t, 'ok');
        const worker = readThreads(h.pid).find((t) => t.name === workerThreadName(0));
        assert.ok(worker, 'the worker thread by name');
        const before = (await h.stats()).alloc;
        const arena = before.threads?.find((t) => t.tid === worker.tid)?.arena;
        assert.ok(arena !== undefined, `the worker's arena in ${JSON.stringify(before.threads)}`);
        const t0 = ticksOf(before).get(arena)!;
        for (let i = 0; i < N; i++) assert.equal((await c.msg())?.t, 'ok');
        assert.equal((await c.logout())?.t, 'ok');
        await c.close();
        await waitFor('the agent VM to close', async () => {
          const s = await h.stats();
          return s.services === 0 && s.luaVms === 0;
        });
        const t1 = ticksOf((await h.stats()).alloc).get(arena)!;
        assert.ok(t1 - t0 >= 2 * N, `worker arena ${arena}: ${t1 - t0} decay ticks for ${N} large strings`);

        // Idle: nothing connected, the stats read every 200 ms (the recorder's reads, on the main thread).
        await sleep(500);
        const idle0 = ticksOf((await h.stats()).alloc);
        let idle1 = idle0;
        for (let i = 0; i < 15; i++) {
          await sleep(200);
          idle1 = ticksOf((await h.stats()).alloc);
        }
        assert.deepEqual([...idle1], [...idle0], 'no arena ticked while the server was idle');
      } finally {
        await h.stop();
      }
    },
  );
}
