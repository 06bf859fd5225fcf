// Worker entry for first-free.test.ts (loaded by path). Outside a worker (node --test runs every file under
// test/ as a test file) it does nothing.
import { parentPort, workerData } from 'node:worker_threads';
import { Allocator } from '../../src/alloc/allocator.js';
import type { VariantOptions } from '../../src/alloc/options.js';

type Cmd = { op: 'fill'; sets: number } | { op: 'traffic'; ms: number } | { op: 'exit' };

if (parentPort) {
  const port = parentPort;
  const { variant, firstFree } = workerData as { variant: VariantOptions; firstFree?: number };
  const a = Allocator.load(variant, firstFree);
  const sizes = new Uint32Array(64).fill(256);
  const held: number[] = [];
  port.postMessage({ arena: a.arena });
  port.on('message', (c: Cmd) => {
    if (c.op === 'fill') {
      // Whole slabs of this thread's arena, then all freed: they become its dirty pages.
      for (let i = 0; i < c.sets; i++) held.push(a.allocSet(sizes));
      while (held.length > 0) a.freeSet(held.pop()!);
      port.postMessage({ done: true });
    } else if (c.op === 'traffic') {
      // Cache refills and flushes on this thread's own arena: each is a decay tick, unless the thread never
      // ticks. Small batches (128 KiB), so what the traffic itself leaves dirty stays small next to the fill.
      const end = Date.now() + c.ms;
      let n = 0;
      while (Date.now() < end) {
        const batch = Array.from({ length: 8 }, () => a.allocSet(sizes));
        for (const s of batch) a.freeSet(s);
        n += 8 * 64;
      }
      port.postMessage({ done: true, objects: n });
    } else process.exit(0);
  });
}
