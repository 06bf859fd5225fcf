// Acceptance of the pressure mechanism with the real madv-free jemalloc build: a process frees ~600 MiB into
// LazyFree (MADV_FREE), a memory limit below its Rss makes the kernel take at least half of it back, and the
// process survives; the group is gone afterwards. Needs root and a memory cgroup (this machine: v1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ServerCgroups } from '../../src/cgroup/server-cgroup.js';
import { detectMemoryCgroup } from '../../src/cgroup/memory-cgroup.js';
import { applyPressure, releasePressure } from '../../src/cgroup/pressure.js';
import { readProcMemory } from '../../src/proc/memory.js';
import type { VariantOptions } from '../../src/alloc/options.js';
import { eventSink, memoryCgroupOf } from './helpers.js';

const MiB = 1024 * 1024;
/** The registry a run would make; tests with a run limit make their own. */
const cg = new ServerCgroups();
const allocatorUrl = new URL('../../src/alloc/allocator.js', import.meta.url);
const variantsUrl = new URL('../../src/alloc/variants.js', import.meta.url);
const variant: VariantOptions = {
  name: 'madv-free',
  build: 'madv-free',
  mallocConf: 'dirty_decay_ms:1,muzzy_decay_ms:-1',
};

async function why(): Promise<string | false> {
  const d = detectMemoryCgroup();
  if (!d.available) return `memory cgroups unavailable: ${d.reason}`;
  if (!existsSync(allocatorUrl)) return 'the allocator bridge (alloc/allocator.ts) is not built';
  const mod = (await import(variantsUrl.href)) as { listBuilds(): Array<{ name: string; built: boolean }> };
  if (!mod.listBuilds().some((b) => b.name === 'madv-free' && b.built))
    return 'the madv-free jemalloc build is missing (simload build)';
  return false;
}

// Why dirty_decay_ms:1 and not 0: with 0 jemalloc purges freed pages fully (MADV_DONTNEED) and never makes
// them muzzy (measured: LazyFree 0, everything `retained`); with 1 ms they go through MADV_FREE at once.
// The child: loads the allocator, waits until it is in its cgroup (pages are charged where they are first
// touched), then allocates ~600 MiB of small objects in player-sized sets and frees them all.
const CHILD = `
const { Allocator } = await import(process.argv[1]);
const a = Allocator.load(JSON.parse(process.argv[2]));
const rl = (await import('node:readline')).createInterface({ input: process.stdin });
process.stdout.write('ready\\n');
for await (const line of rl) {
  if (line !== 'go') continue;
  const sizes = [];
  for (let i = 0; i < 60; i++) sizes.push([16, 48, 128, 512, 2048, 8192][i % 6]);
  const setBytes = sizes.reduce((x, y) => x + y, 0);
  const sets = [];
  for (let i = 0; i < Math.ceil(600 * 1048576 / setBytes); i++) sets.push(a.allocSet(sizes));
  for (const s of sets) a.freeSet(s);
  // dirty pages decay to muzzy by MADV_FREE after 1 ms; decay() makes jemalloc act on it now.
  await new Promise((r) => setTimeout(r, 100));
  a.decay();
  process.stdout.write('freed ' + JSON.stringify(a.stats()) + '\\n');
}
`;

test(
  'a limit below Rss makes the kernel take back at least half of the LazyFree, without killing',
  { timeout: 60_000 },
  async (t) => {
    const skip = await why();
    if (skip) return t.skip(skip);
    const { variantEnv } = (await import(variantsUrl.href)) as {
      variantEnv(v: VariantOptions): Record<string, string>;
    };
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD, allocatorUrl.href, JSON.stringify(variant)],
      {
        env: { ...process.env, ...variantEnv(variant) },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const sink = eventSink();
    try {
      assert.equal((await lines.next()).value, 'ready');
      const entry = await cg.attach({ variant: 'madv-free', pid: child.pid!, writer: sink, force: true });
      assert.ok(entry?.group, entry?.unavailable ?? 'no group');
      const groupPath = entry.group.path;
      child.stdin!.write('go\n');
      assert.match(String((await lines.next()).value), /^freed /);

      const before = await readProcMemory(child.pid!);
      assert.ok(before.lazyFree > 400 * MiB, `LazyFree after freeing ~600 MiB: ${before.lazyFree / MiB} MiB`);
      const needed = before.rss - before.lazyFree;
      // Below Rss: leaves room for what is live plus 40% of the LazyFree, so the kernel must reclaim at least 60%.
      const limit = needed + Math.round(before.lazyFree * 0.4);
      assert.ok(limit < before.rss);
      await applyPressure(limit, { variant: 'madv-free', serverPid: child.pid!, writer: sink, cgroups: cg });
      const apply = sink.events.find((e) => e.type === 'pressure' && e.action === 'apply');
      assert.ok(apply, JSON.stringify(sink.events));
      assert.equal(cg.memoryLimitFor(child.pid!), limit);

      // Within a short phase (5 s) LazyFree falls by at least half.
      let after = await readProcMemory(child.pid!);
      for (let i = 0; i < 50 && after.lazyFree > before.lazyFree / 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await readProcMemory(child.pid!);
      }
      t.diagnostic(
        `Rss ${(before.rss / MiB).toFixed(0)} -> ${(after.rss / MiB).toFixed(0)} MiB, LazyFree ${(before.lazyFree / MiB).toFixed(0)} -> ${(after.lazyFree / MiB).toFixed(0)} MiB under a ${(limit / MiB).toFixed(0)} MiB limit`,
      );
      assert.ok(
        after.lazyFree <= before.lazyFree / 2,
        `LazyFree ${before.lazyFree / MiB} -> ${after.lazyFree / MiB} MiB`,
      );
      assert.ok(after.rss < before.rss - before.lazyFree / 2 + 16 * MiB, 'Rss fell with it');
      assert.equal(child.exitCode, null, 'not killed');
      assert.equal(child.signalCode, null);

      await releasePressure({ variant: 'madv-free', serverPid: child.pid!, writer: sink, cgroups: cg });
      assert.equal(cg.memoryLimitFor(child.pid!), null);
      assert.deepEqual(
        sink.events.map((e) => (e.type === 'pressure' ? e.action : e.type)),
        ['apply', 'release'],
      );
      await cg.detach(child.pid!);
      assert.equal(existsSync(groupPath), false, 'group removed');
      assert.equal(memoryCgroupOf(child.pid!), memoryCgroupOf(process.pid));
    } finally {
      child.kill('SIGKILL');
      await cg.detach(child.pid!);
    }
  },
);
