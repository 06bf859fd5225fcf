// Worker thread entry (loaded by path from pool.ts): one of skynet's `thread` workers. It runs turns of
// whichever services the scheduler hands it; the services' state lives in the shared allocator heap and the
// shared slot table, so the same service can run here now and on another worker next time.

import { parentPort, workerData } from 'node:worker_threads';
import { Allocator } from '../alloc/allocator.js';
import { LuaHandlers } from './lua-handlers.js';
import { playerSeed, Rng, SizeSampler } from './profile.js';
import { SlotView } from './slots.js';
import { nameThisThread } from './thread-name.js';
import { workerThreadName } from './threads.js';
import { IN_FIELDS, Op, OUT_FIELDS, Status, type FromWorker, type ToWorker, type WorkerInit } from './wire.js';

const init = workerData as WorkerInit;
nameThisThread(workerThreadName(init.index));
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);

let alloc: Allocator;
let lua: LuaHandlers | null = null;
try {
  alloc = Allocator.load(init.variant, init.firstFrees?.[init.index]);
  if (init.script) lua = new LuaHandlers(init.script, init.seed, init.perPlayer ?? true);
} catch (err) {
  const e = err as { code?: string; message?: string };
  post({ type: 'init-failed', code: e.code ?? 'ERR_ALLOC_LOAD', message: e.message ?? String(err) });
  port.close();
  throw err;
}

const view = new SlotView(init.stride);
const objects = init.profile.objects;
const stateSizes = new SizeSampler(init.profile.sizes);
const tempSizes = new SizeSampler(init.churn.tempSizes);
const temps = new Uint32Array(init.churn.tempAllocsPerMessage);
const { reallocRate, reallocStep } = init.churn;
const rng = new Rng(0);

/** Runs one handler; writes set and bytes (-1 = unchanged) at out[o + 1], out[o + 2]. */
function handle(op: number, slotId: number, set: number, arg: number, out: Float64Array, o: number): void {
  if (op === Op.login) {
    const slot = view.slot(slotId);
    rng.s = playerSeed(init.seed, arg);
    const sizes = slot.subarray(1, 1 + objects);
    stateSizes.fill(rng, sizes);
    slot[0] = rng.s;
    const h = alloc.allocSet(sizes);
    out[o + 1] = h;
    out[o + 2] = alloc.setBytes(h);
  } else if (op === Op.msg) {
    const slot = view.slot(slotId);
    rng.s = slot[0]!;
    if (temps.length > 0) {
      tempSizes.fill(rng, temps);
      alloc.churn(temps);
    }
    let bytes = -1;
    if (reallocRate > 0 && rng.next() < reallocRate) {
      const idx = rng.nextU32() % objects;
      const delta = Math.round((rng.next() * 2 - 1) * reallocStep);
      const size = Math.max(1, slot[1 + idx]! + delta);
      bytes = alloc.resizeInSet(set, idx, size);
      slot[1 + idx] = size;
    }
    slot[0] = rng.s;
    out[o + 1] = set;
    out[o + 2] = bytes;
  } else if (op === Op.noop) {
    out[o + 1] = set;
    out[o + 2] = -1;
  } else if (op === Op.free) {
    alloc.freeSet(set);
    out[o + 1] = -1;
    out[o + 2] = 0;
  } else {
    throw new Error(`unknown op ${op}`);
  }
}

/** This worker's batch buffers (wire.ts): the scheduler sends them with the first batch and when they grow. */
let batch: Float64Array = new Float64Array(new SharedArrayBuffer(0));
let out: Float64Array = new Float64Array(new SharedArrayBuffer(0));

function run(): void {
  const turns = batch[0]!;
  let i = 1;
  let count = 0;
  for (let t = 0, j = 1; t < turns; t++) {
    const n = batch[j + 1]!;
    count += n;
    j += 2 + n * IN_FIELDS;
  }
  if (count * OUT_FIELDS > out.length)
    throw new Error(`a batch of ${count} messages does not fit the out buffer (${out.length / OUT_FIELDS})`);
  let errors: string[] | null = null;
  let o = 0;
  for (let t = 0; t < turns; t++) {
    const n = batch[i + 1]!;
    lua?.beginTurn(batch[i]!);
    i += 2;
    for (let k = 0; k < n; k++, i += IN_FIELDS, o += OUT_FIELDS) {
      if (lua) {
        const err = lua.handle(batch[i]!, batch[i + 2]!, batch[i + 3]!, batch[i + 4]!, batch[i + 5]!, out, o);
        if (err !== null) (errors ??= []).push(err);
        continue;
      }
      try {
        out[o] = Status.ok;
        handle(batch[i]!, batch[i + 1]!, batch[i + 2]!, batch[i + 3]!, out, o);
      } catch (err) {
        out[o] = Status.error;
        out[o + 1] = batch[i + 2]!;
        out[o + 2] = -1;
        (errors ??= []).push(
          err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err),
        );
      }
    }
  }
  post({ type: 'done', count, errors });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'run') {
    if (m.buffers) {
      batch = new Float64Array(m.buffers.batch);
      out = new Float64Array(m.buffers.out);
    }
    run();
  } else if (m.type === 'chunk') view.addChunk(m.index, m.sab);
  else if (m.type === 'purge') {
    let error: string | null = null;
    try {
      alloc.purge();
    } catch (err) {
      error = (err as Error).message;
    }
    post({ type: 'purged', id: m.id, error });
  } else if (m.type === 'stop') port.close();
});
post({ type: 'ready' });
