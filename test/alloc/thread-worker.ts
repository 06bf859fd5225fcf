// Worker entry for threads.test.ts (loaded by path). Outside a worker (node --test runs every file under
// test/ as a test file) it does nothing.
import { parentPort, workerData } from 'node:worker_threads';
import { Allocator } from '../../src/alloc/allocator.js';

type Cmd =
  | { op: 'alloc'; sizes: number[] }
  | { op: 'bytes' | 'free'; set: number }
  | { op: 'storm'; rounds: number }
  | { op: 'exit' };

if (parentPort) {
  const port = parentPort;
  const a = Allocator.load(workerData as { name: string; build: string });
  port.on('message', (c: Cmd) => {
    try {
      if (c.op === 'alloc') port.postMessage({ ok: true, value: a.allocSet(c.sizes) });
      else if (c.op === 'bytes') port.postMessage({ ok: true, value: a.setBytes(c.set) });
      else if (c.op === 'free') port.postMessage({ ok: true, value: a.freeSet(c.set) ?? null });
      else if (c.op === 'storm') {
        // Both workers at once: allocate, resize and free many sets through the shared handle table.
        const sizes = new Uint32Array(64).map((_, i) => 32 + i * 16);
        for (let r = 0; r < c.rounds; r++) {
          const held = Array.from({ length: 16 }, () => a.allocSet(sizes));
          for (const s of held) a.resizeInSet(s, r % 64, 4096);
          for (const s of held) a.freeSet(s);
        }
        port.postMessage({ ok: true, value: c.rounds });
      } else process.exit(0);
    } catch (err) {
      port.postMessage({ ok: false, code: (err as { code?: string }).code, message: (err as Error).message });
    }
  });
}
