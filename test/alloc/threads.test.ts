// One heap, many threads: handles made in one worker thread are valid in another and in the main thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Allocator } from '../../src/alloc/allocator.js';
import { SimloadError } from '../../src/errors.js';
import { requireBuilds } from './builds.js';

requireBuilds('no-madv-free');
const variant = { name: 'no-madv-free', build: 'no-madv-free' };
const entry = fileURLToPath(new URL('./thread-worker.js', import.meta.url));

type Reply = { ok: true; value: number } | { ok: false; code: string; message: string };
function ask(w: Worker, msg: unknown): Promise<Reply> {
  const p = once(w, 'message').then(([m]) => m as Reply);
  w.postMessage(msg);
  return p;
}

test('a set allocated in worker A is read and freed in worker B; the main thread then sees it gone', async () => {
  const main = Allocator.load(variant);
  const base = main.live();
  const a = new Worker(entry, { workerData: variant });
  const b = new Worker(entry, { workerData: variant });
  try {
    const made = await ask(a, { op: 'alloc', sizes: [1000, 2000, 3000] });
    assert.ok(made.ok);
    assert.equal(main.setBytes(made.value), 6000);
    assert.deepEqual(main.live(), { objects: base.objects, sets: base.sets + 1 });
    const bytes = await ask(b, { op: 'bytes', set: made.value });
    assert.deepEqual(bytes, { ok: true, value: 6000 });
    assert.deepEqual(await ask(b, { op: 'free', set: made.value }), { ok: true, value: null });
    assert.throws(
      () => main.freeSet(made.value),
      (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BAD_HANDLE',
    );
    const again = await ask(a, { op: 'free', set: made.value });
    assert.equal(again.ok, false);
    assert.equal((again as { code: string }).code, 'ERR_BAD_HANDLE');
    assert.deepEqual(main.live(), base);
  } finally {
    await Promise.all([a.terminate(), b.terminate()]);
  }
});

test('two workers allocating and freeing at once keep the table and the heap consistent', async () => {
  const main = Allocator.load(variant);
  main.purge();
  const before = main.stats().allocated;
  const ws = [new Worker(entry, { workerData: variant }), new Worker(entry, { workerData: variant })];
  try {
    const replies = await Promise.all(ws.map((w) => ask(w, { op: 'storm', rounds: 300 })));
    for (const r of replies) assert.deepEqual(r, { ok: true, value: 300 });
    assert.deepEqual(main.live(), { objects: 0, sets: 0 });
    // Objects cached in the workers' tcaches still count as allocated; bounded by a few size classes' worth.
    assert.ok(
      main.stats().allocated - before < 4 * 1024 * 1024,
      `allocated grew by ${main.stats().allocated - before}`,
    );
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
});
