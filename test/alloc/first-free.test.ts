// jemalloc 5.0.1 (skynet's) never lets a thread trigger decay when that thread's first allocator call was a
// free: the minimal tsd it gets then keeps `arenas_tdata_bypass` set, so its decay ticker is never made
// (jemalloc#1497, #2251; fixed by 5.3.0's per-thread ticker). In a real skynet 1-3 of 8 workers start that way
// (docs/fidelity.md), and their arenas keep their dirty pages; `server.free_first_workers` reproduces it.
// Two workers on the real 5.0.1 build, one started with a free (Allocator.load's firstFree): each fills and
// frees whole slabs of its own arena, waits past the decay time, then makes traffic on its arena.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Allocator } from '../../src/alloc/allocator.js';
import { needsVendor, require501, VENDOR_501 } from '../native/vendor.js';

const skip = needsVendor('jemalloc-5.0.1');
require501();
const variant = {
  name: 'first-free',
  build: 'madv-free',
  jemalloc: VENDOR_501,
  mallocConf: 'dirty_decay_ms:500,muzzy_decay_ms:500',
};
const entry = fileURLToPath(new URL('./first-free-worker.js', import.meta.url));
const MiB = 2 ** 20;

async function start(firstFree?: number): Promise<{ w: Worker; arena: number }> {
  const w = new Worker(entry, { workerData: { variant, ...(firstFree === undefined ? {} : { firstFree }) } });
  const [m] = (await once(w, 'message')) as [{ arena: number }];
  return { w, arena: m.arena };
}
async function ask(w: Worker, msg: unknown): Promise<{ objects?: number }> {
  const p = once(w, 'message').then(([m]) => m as { objects?: number });
  w.postMessage(msg);
  return p;
}

test(
  'jemalloc 5.0.1: a worker whose first call was a free never decays its arena; a normal worker does',
  { skip, timeout: 120_000 },
  async (t) => {
    const main = Allocator.load(variant);
    const block = main.malloc(64);
    const normal = await start();
    const freeFirst = await start(block);
    // Failed asserts must not leave the workers running (they would keep this process alive).
    t.after(() => Promise.all([normal.w.terminate(), freeFirst.w.terminate()]));
    const arenas = new Set([main.arena, normal.arena, freeFirst.arena]);
    assert.equal(
      arenas.size,
      3,
      `three threads on three arenas: main ${main.arena}, normal ${normal.arena}, free-first ${freeFirst.arena}`,
    );
    assert.deepEqual(main.live(), { objects: 0, sets: 0 }, 'the worker freed the block the main thread made');

    await Promise.all([ask(normal.w, { op: 'fill', sets: 4000 }), ask(freeFirst.w, { op: 'fill', sets: 4000 })]);
    const held = (arena: number): number => {
      const a = main.stats().arenas!.find((x) => x.arena === arena)!;
      return a.pdirty + a.pmuzzy;
    };
    const before = { normal: held(normal.arena!), freeFirst: held(freeFirst.arena!) };
    assert.ok(
      before.normal > 48 * MiB && before.freeFirst > 48 * MiB,
      `dirty + muzzy after the frees: normal ${before.normal}, free-first ${before.freeFirst}`,
    );

    await sleep(1500); // past both decay times: everything is due
    const [tn, tf] = await Promise.all([
      ask(normal.w, { op: 'traffic', ms: 3000 }),
      ask(freeFirst.w, { op: 'traffic', ms: 3000 }),
    ]);
    assert.ok(tn.objects! > 100_000 && tf.objects! > 100_000, `traffic: ${tn.objects} and ${tf.objects} objects`);
    const after = { normal: held(normal.arena!), freeFirst: held(freeFirst.arena!) };
    assert.ok(
      after.normal < 0.1 * before.normal,
      `normal worker: ${after.normal} of ${before.normal} bytes still dirty or muzzy`,
    );
    assert.ok(
      after.freeFirst > 0.8 * before.freeFirst,
      `free-first worker: only ${after.freeFirst} of ${before.freeFirst} bytes kept`,
    );
  },
);
