// koffi bindings of the allocator shim (native/shim.h declares them). Loaded once per thread (each worker thread has its own JS functions over the
// same .so, so the handle table and the heap are shared by the whole process).
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { SimloadError } from '../errors.js';
import { shimLib } from '../native/paths.js';

export interface ShimFns {
  init(lib: string | null, prefix: string, needMallctl: number): number;
  confMessages(): string;
  lastError(): string;
  malloc(size: number): number;
  free(h: number): number;
  realloc(h: number, size: number): number;
  allocSet(sizes: Uint32Array, n: number): number;
  freeSet(h: number): number;
  resizeInSet(h: number, index: number, size: number): number;
  setBytes(h: number): number;
  churn(sizes: Uint32Array, n: number): number;
  stats(out: Float64Array): number;
  opts(out: Float64Array, version: Buffer, len: number): number;
  purge(): number;
  decay(): number;
  live(out: Float64Array): number;
  threadRegister(): number;
  arenaStats(
    out: Float64Array,
    maxArenas: number,
    threads: Float64Array,
    maxThreads: number,
    nthreads: Int32Array,
  ): number;
  sizeClasses(out: Float64Array, maxBins: number, large: Float64Array): number;
}

/** Doubles per bin in sl_size_classes: size, slab size, curregs, curslabs. */
export const BIN_FIELDS = 4;

/** Doubles per arena in sl_arena_stats. */
export const ARENA_FIELDS = 10;

/** Return codes of the shim, as native/shim.h defines them (test/alloc/shim-header.test.ts checks). */
export const SL = {
  ok: 0,
  badHandle: -1,
  nomem: -2,
  range: -3,
  notLoaded: -4,
  mallctl: -5,
  otherLib: -6,
  load: -7,
  arg: -8,
} as const;

let fns: ShimFns | null = null;

export function loadShim(): ShimFns {
  if (fns) return fns;
  if (!existsSync(shimLib))
    throw new SimloadError(
      'ERR_NOT_BUILT',
      `the allocator shim ${shimLib} is missing; run \`npm install\` (or \`simload build\`)`,
    );
  const lib = koffi.load(shimLib);
  fns = {
    init: lib.func('int sl_init(const char *lib, const char *prefix, int need_mallctl)'),
    confMessages: lib.func('const char *sl_conf_messages(void)'),
    lastError: lib.func('const char *sl_last_error(void)'),
    malloc: lib.func('double sl_malloc(double size)'),
    free: lib.func('int sl_free(double h)'),
    realloc: lib.func('double sl_realloc(double h, double size)'),
    allocSet: lib.func('double sl_alloc_set(const uint32_t *sizes, uint32_t n)'),
    freeSet: lib.func('int sl_free_set(double h)'),
    resizeInSet: lib.func('double sl_resize_in_set(double h, uint32_t index, uint32_t size)'),
    setBytes: lib.func('double sl_set_bytes(double h)'),
    churn: lib.func('int sl_churn(const uint32_t *sizes, uint32_t n)'),
    stats: lib.func('int sl_stats(double *out)'),
    opts: lib.func('int sl_opts(double *out, char *version, int len)'),
    purge: lib.func('int sl_purge(void)'),
    decay: lib.func('int sl_decay(void)'),
    live: lib.func('int sl_live(double *out)'),
    threadRegister: lib.func('int sl_thread_register(void)'),
    arenaStats: lib.func(
      'int sl_arena_stats(double *out, int max_arenas, double *threads, int max_threads, _Out_ int *nthreads)',
    ),
    sizeClasses: lib.func('int sl_size_classes(double *out, int max_bins, double *large)'),
  } as ShimFns;
  return fns;
}
