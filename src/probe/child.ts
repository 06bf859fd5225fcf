// The probe's child process (loaded by path, never imported): its environment was set by variantEnv before it
// started, so the allocator loads with the probe's malloc_conf. Allocates, writes, frees, steps decay, and
// reads its own /proc/self/smaps_rollup at each step.
import { setTimeout as sleep } from 'node:timers/promises';
import { Allocator } from '../alloc/allocator.js';
import { SimloadError } from '../errors.js';
import { readProcMemory } from '../proc/memory.js';
import type { ChildReply, MemoryPoint, ProbeParams } from './messages.js';

// Small size classes (slab-allocated by jemalloc): the kind of objects a Lua state is made of.
const SIZES = [48, 64, 96, 128, 160, 256, 384, 512, 768, 1024, 1536, 2048, 3072];
const PER_SET = 256;

async function point(a: Allocator): Promise<MemoryPoint> {
  const s = a.stats();
  const p = await readProcMemory(process.pid);
  return {
    rss: p.rss,
    lazyFree: p.lazyFree,
    allocated: s.allocated,
    resident: s.resident,
    pdirty: s.pdirty,
    pmuzzy: s.pmuzzy,
  };
}

async function main(params: ProbeParams): Promise<ChildReply> {
  const a = Allocator.load(params.variant);
  a.purge();
  const before = await point(a);
  const sizes = new Uint32Array(PER_SET);
  for (let i = 0; i < PER_SET; i++) sizes[i] = SIZES[i % SIZES.length]!;
  const perSet = sizes.reduce((x, y) => x + y, 0);
  const sets: number[] = [];
  let bytes = 0;
  while (bytes < params.targetBytes) {
    sets.push(a.allocSet(sizes));
    bytes += perSet;
  }
  const afterAlloc = await point(a);
  for (const s of sets) a.freeSet(s);
  // Step decay instead of waiting for it: jemalloc only advances decay when the arena is used (or a
  // background thread runs), so a quiet process would otherwise keep its dirty pages.
  const until = Date.now() + params.settleMs;
  do {
    a.decay();
    await sleep(50);
  } while (Date.now() < until);
  a.decay();
  const afterFree = await point(a);
  return {
    ok: true,
    m: {
      objects: sets.length * PER_SET,
      minSize: Math.min(...SIZES),
      maxSize: Math.max(...SIZES),
      freedBytes: bytes,
      before,
      afterAlloc,
      afterFree,
      settleMs: params.settleMs,
      version: a.info.version,
      opts: a.info.opts,
    },
  };
}

let reply: ChildReply;
try {
  reply = await main(JSON.parse(process.argv[2] ?? '{}') as ProbeParams);
} catch (err) {
  const e = err instanceof SimloadError ? err : new SimloadError('ERR_PROBE', (err as Error).message);
  reply = { ok: false, code: e.code, message: e.message, exitCode: e.exitCode };
}
process.stdout.write(JSON.stringify(reply) + '\n');
