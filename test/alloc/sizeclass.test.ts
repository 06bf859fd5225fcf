// Fragmentation per size class (AllocStats.sizeClasses) from the real madv-free build (jemalloc 5.3.0) in this
// process and a worker thread: a class half emptied shows half its slab bytes as active - allocated, and the bins
// and large extents account for jemalloc's own allocated and active exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Allocator } from '../../src/alloc/allocator.js';
import type { AllocStats, BinStats } from '../../src/alloc/stats.js';
import { requireBuilds } from './builds.js';

requireBuilds('madv-free');
delete process.env['JE_MALLOC_CONF'];
const a = Allocator.load({ name: 'madv-free', build: 'madv-free' });
/** jemalloc's page on x86-64 Linux (LG_PAGE 12): each large extent carries one page of cache-oblivious padding. */
const PAGE = 4096;

const gapOf = (b: BinStats | undefined) => (b ? b.slabs * b.slabSize - b.regs * b.size : 0);
const bin = (s: AllocStats, size: number) => s.sizeClasses!.bins.find((b) => b.size === size);

test('size classes: freeing every other object of one class leaves half its slab bytes as active - allocated', async () => {
  const SIZE = 256; // a class of its own in 5.0.x and 5.3.0, slabs an exact multiple of it: no slack per slab
  const N = 40_000; // 10 MiB: far above anything else of this class in the process
  a.purge();
  const before = a.stats();
  // Allocated in a worker thread, so they live in another arena than the main thread's: the figures must be
  // those of all arenas merged.
  const objs = await allocateInWorker(SIZE, N);
  const full = a.stats();
  assert.ok(
    full.threads!.some((t) => !t.main && t.arena !== full.threads!.find((m) => m.main)!.arena),
    `threads ${JSON.stringify(full.threads)}`,
  );
  for (let i = 0; i < N; i += 2) a.free(objs[i]!);
  a.purge(); // flushes this thread's cache, so the freed regions are back in their slabs
  const half = a.stats();
  const slabBytes = N * SIZE; // what the N objects fill
  const b0 = bin(before, SIZE);
  // Filled: the class grew by N regions and about N x SIZE of slabs, so its gap hardly moved.
  const grewRegs = bin(full, SIZE)!.regs - (b0?.regs ?? 0);
  assert.ok(grewRegs >= N && grewRegs < N * 1.01, `class ${SIZE} grew by ${grewRegs} regions for ${N} objects`);
  assert.ok(
    Math.abs(gapOf(bin(full, SIZE)) - gapOf(b0)) < 0.03 * slabBytes,
    `gap when full ${gapOf(bin(full, SIZE))}, before ${gapOf(b0)}`,
  );
  // Half freed: every slab keeps a live object, so none is given back; the gap is half the slab bytes.
  const grew = gapOf(bin(half, SIZE)) - gapOf(b0);
  assert.ok(
    Math.abs(grew - slabBytes / 2) <= 0.03 * (slabBytes / 2),
    `class ${SIZE}: active - allocated grew ${grew}, expected ${slabBytes / 2}`,
  );
  assert.equal(bin(half, SIZE)!.slabSize % SIZE, 0);
  assert.ok(
    bin(half, SIZE)!.regs * SIZE <= 0.51 * bin(half, SIZE)!.slabs * bin(half, SIZE)!.slabSize,
    'slab utilisation about 50%',
  );
  for (let i = 1; i < N; i += 2) a.free(objs[i]!);
  a.purge();
  const empty = a.stats();
  assert.ok(gapOf(bin(empty, SIZE)) < 0.03 * slabBytes, `all freed: gap ${gapOf(bin(empty, SIZE))}`);
});

/** n objects of `size` malloc'ed by a worker thread (its own arena); their handles are valid in this thread. */
async function allocateInWorker(size: number, n: number): Promise<number[]> {
  const src = `const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then((m) => {
      const a = m.Allocator.load({ name: 'madv-free', build: 'madv-free' });
      parentPort.postMessage(Array.from({ length: workerData.n }, () => a.malloc(workerData.size)));
    });`;
  const w = new Worker(src, {
    eval: true,
    workerData: { url: new URL('../../src/alloc/allocator.js', import.meta.url).href, size, n },
  });
  const [handles] = (await once(w, 'message')) as [number[]];
  await w.terminate(); // the thread's exit flushes its cache
  return handles;
}

test('size classes: the bins and large extents add up to allocated and active of the same sample', () => {
  const small = Array.from({ length: 5000 }, (_, i) => a.malloc(16 + (i % 200) * 37)); // 16 B .. 7.4 KiB: many bins
  const large = Array.from({ length: 40 }, (_, i) => a.malloc(20_000 + i * 50_000)); // 20 KB .. 2 MB
  for (let i = 0; i < small.length; i += 3) a.free(small[i]!);
  const s = a.stats();
  const sc = s.sizeClasses!;
  assert.ok(sc.bins.length >= 20, `${sc.bins.length} bins in use`);
  assert.deepEqual(
    sc.bins.map((b) => b.size),
    [...sc.bins.map((b) => b.size)].sort((x, y) => x - y),
  );
  const smallAllocated = sc.bins.reduce((t, b) => t + b.regs * b.size, 0);
  const smallActive = sc.bins.reduce((t, b) => t + b.slabs * b.slabSize, 0);
  assert.ok(sc.large.extents >= 40 && sc.large.allocated >= large.length * 20_000, JSON.stringify(sc.large));
  // stats.allocated is the bins' regions plus large.allocated; stats.active adds the slabs and each large extent's page.
  assert.equal(s.allocated, smallAllocated + sc.large.allocated);
  assert.equal(s.active, smallActive + sc.large.allocated + sc.large.extents * PAGE);
  const smallGap = smallActive - smallAllocated;
  assert.equal(s.active - s.allocated - sc.large.extents * PAGE, smallGap);
  for (const h of [...small.filter((_, i) => i % 3 !== 0), ...large]) a.free(h);
});
