// The allocator bridge: one variant per process, usable from the main thread and from worker threads alike.
// All threads share one heap; handles are plain numbers valid in every thread of the process.
import { isMainThread } from 'node:worker_threads';
import { SimloadError, UsageError } from '../errors.js';
import type { VariantOptions } from './options.js';
import { expectedOpts, parseMallocConf } from './conf.js';
import { ARENA_FIELDS, BIN_FIELDS, loadShim, SL, type ShimFns } from './shim.js';
import type { AllocInfo, AllocOptions, AllocStats, ArenaDecay, BinStats, SizeClasses, ThreadArena } from './stats.js';

/** More arenas than any conf here makes (narenas defaults to 4 x CPUs); more are left out of samples. */
const MAX_ARENAS = 256;
const MAX_THREADS = 256;
/** More bins than any jemalloc here has (36 in 5.0.1 and 5.3.0 with 4 KiB pages). */
const MAX_BINS = 256;
import { resolveVariant } from './variants.js';

export type ObjectHandle = number;
export type SetHandle = number;

export class Allocator {
  readonly info: AllocInfo;
  readonly #s: ShimFns;
  readonly #out = new Float64Array(8);
  readonly #arenas = new Float64Array(MAX_ARENAS * ARENA_FIELDS);
  readonly #threads = new Float64Array(MAX_THREADS * 2);
  readonly #nthreads = new Int32Array(1);
  readonly #bins = new Float64Array(MAX_BINS * BIN_FIELDS);
  readonly #large = new Float64Array(2);

  private constructor(
    s: ShimFns,
    info: AllocInfo,
    /** The jemalloc arena of the thread that loaded this instance (`thread.arena`); null for glibc. */
    readonly arena: number | null,
  ) {
    this.#s = s;
    this.info = info;
  }

  /**
   * Reads the conf from the env set by variantEnv (must be set before the first load in the process).
   * `firstFree`: a handle another thread allocated, freed before this thread makes any other allocator call
   * (ServerOptions.freeFirstWorkers): jemalloc then sets this thread up the way it does for a thread whose
   * first call is a free.
   */
  static load(v: VariantOptions, firstFree?: ObjectHandle): Allocator {
    const r = resolveVariant(v);
    let conf: string | null = null;
    if (r.confEnvVar) {
      const inEnv = process.env[r.confEnvVar];
      if (v.mallocConf !== undefined && inEnv !== v.mallocConf) {
        // Only the main thread's process.env reaches the C environment jemalloc reads; a worker's is a copy.
        if (!isMainThread) {
          throw new UsageError(
            'ERR_MALLOC_CONF',
            `variant "${v.name}": ${r.confEnvVar} is "${inEnv ?? ''}" in this worker but the variant asks for "${v.mallocConf}"; set it in the process environment (variantEnv) before starting workers`,
          );
        }
        process.env[r.confEnvVar] = v.mallocConf;
      }
      conf = process.env[r.confEnvVar] ?? null;
      if (conf !== null) parseMallocConf(conf, `${r.confEnvVar}`);
    }
    const s = loadShim();
    const rc = s.init(r.libPath, r.prefix, r.kind === 'jemalloc' ? 1 : 0);
    if (rc !== SL.ok) throw loadError(v, r.libPath, r.prefix, rc, s.lastError());
    if (firstFree !== undefined) {
      const code = s.free(firstFree);
      if (code !== SL.ok)
        throw new SimloadError(
          'ERR_BAD_HANDLE',
          `variant "${v.name}": the first free failed: ${s.lastError() || `code ${code}`}`,
        );
    }
    const messages = s.confMessages();
    if (messages.includes('<jemalloc>')) {
      throw new UsageError(
        'ERR_MALLOC_CONF',
        `variant "${v.name}": jemalloc rejected its conf ${r.confEnvVar}="${conf ?? ''}": ${messages.trim().replace(/\n/g, '; ')}`,
      );
    }
    const optsOut = new Float64Array(4);
    const ver = Buffer.alloc(256);
    check(s.opts(optsOut, ver, ver.length), s, 'opts');
    const opts: AllocOptions =
      r.kind === 'glibc'
        ? { dirtyDecayMs: null, muzzyDecayMs: null, backgroundThread: null, narenas: null }
        : {
            dirtyDecayMs: optsOut[0]!,
            muzzyDecayMs: optsOut[1]!,
            backgroundThread: optsOut[2] === 1,
            narenas: optsOut[3]!,
          };
    if (conf) verifyConf(v.name, r.confEnvVar!, conf, opts);
    const version = r.kind === 'glibc' ? r.version : ver.toString('utf8', 0, Math.max(0, ver.indexOf(0))) || r.version;
    // Binds this thread to its arena now and records it, so samples can say which arena each worker uses.
    let arena: number | null = null;
    if (r.kind === 'jemalloc') {
      arena = s.threadRegister();
      if (arena < 0) throw new SimloadError('ERR_MALLCTL', `variant "${v.name}": thread.arena: ${s.lastError()}`);
    }
    return new Allocator(
      s,
      { variant: v.name, kind: r.kind, libPath: r.libPath, prefix: r.prefix, version, mallocConf: conf, opts },
      arena,
    );
  }

  malloc(size: number): ObjectHandle {
    return this.#handle(this.#s.malloc(size), 'malloc', size);
  }

  free(h: ObjectHandle): void {
    this.#code(this.#s.free(h), 'free', h);
  }

  realloc(h: ObjectHandle, size: number): ObjectHandle {
    return this.#handle(this.#s.realloc(h, size), 'realloc', h);
  }

  /** Allocates sizes.length objects, writes every byte, returns one handle for the set. */
  allocSet(sizes: ArrayLike<number>): SetHandle {
    const u = toSizes(sizes, 'allocSet');
    return this.#handle(this.#s.allocSet(u, u.length), 'allocSet', u.length);
  }

  /** Frees every object of the set. Double free / foreign handle -> SimloadError code ERR_BAD_HANDLE. */
  freeSet(set: SetHandle): void {
    this.#code(this.#s.freeSet(set), 'freeSet', set);
  }

  /** Resizes object `index` of the set (realloc) and writes the new bytes; returns the set's new byte total. */
  resizeInSet(set: SetHandle, index: number, newSize: number): number {
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
      throw new SimloadError('ERR_BAD_INDEX', `resizeInSet: index ${index} is not a valid object index`);
    if (!Number.isInteger(newSize) || newSize < 1 || newSize > 0xffffffff)
      throw new SimloadError('ERR_BAD_SIZE', `resizeInSet: size ${newSize} is not an integer in 1..4294967295`);
    return this.#handle(this.#s.resizeInSet(set, index, newSize), 'resizeInSet', set, index);
  }

  setBytes(set: SetHandle): number {
    return this.#handle(this.#s.setBytes(set), 'setBytes', set);
  }

  /** Allocates, writes and frees these sizes in one call (per-message temporaries). */
  churn(sizes: ArrayLike<number>): void {
    const u = toSizes(sizes, 'churn');
    this.#code(this.#s.churn(u, u.length), 'churn', u.length);
  }

  /** Epoch refreshed first. jemalloc: with its version, per-arena decay and the threads' arenas. */
  stats(): AllocStats {
    const o = this.#out;
    check(this.#s.stats(o), this.#s, 'stats');
    const base: AllocStats = {
      allocated: o[0]!,
      active: o[1]!,
      metadata: o[2]!,
      resident: o[3]!,
      mapped: o[4]!,
      retained: o[5]!,
      pdirty: o[6]!,
      pmuzzy: o[7]!,
    };
    if (this.info.kind !== 'jemalloc') return base;
    const n = this.#s.arenaStats(this.#arenas, MAX_ARENAS, this.#threads, MAX_THREADS, this.#nthreads);
    if (n < 0) check(n, this.#s, 'arena stats');
    const arenas: ArenaDecay[] = [];
    for (let i = 0; i < n; i++) {
      const a = this.#arenas.subarray(i * ARENA_FIELDS, (i + 1) * ARENA_FIELDS);
      arenas.push({
        arena: a[0]!,
        pdirty: a[1]!,
        pmuzzy: a[2]!,
        dirtyNpurge: a[3]!,
        dirtyNmadvise: a[4]!,
        dirtyPurged: a[5]!,
        muzzyNpurge: a[6]!,
        muzzyNmadvise: a[7]!,
        muzzyPurged: a[8]!,
        decayTicks: a[9]!,
      });
    }
    const threads: ThreadArena[] = [];
    for (let i = 0; i < this.#nthreads[0]!; i++) {
      const tid = this.#threads[2 * i]!;
      threads.push({ tid, arena: this.#threads[2 * i + 1]!, main: tid === process.pid });
    }
    return {
      ...base,
      ...(this.info.version ? { version: this.info.version } : {}),
      arenas,
      threads,
      sizeClasses: this.#sizeClasses(),
    };
  }

  /** Per small size class and large in bulk, of the snapshot stats() just refreshed. */
  #sizeClasses(): SizeClasses {
    const n = this.#s.sizeClasses(this.#bins, MAX_BINS, this.#large);
    if (n < 0) check(n, this.#s, 'size class stats');
    const bins: BinStats[] = [];
    for (let i = 0; i < n; i++) {
      const b = this.#bins.subarray(i * BIN_FIELDS, (i + 1) * BIN_FIELDS);
      bins.push({ size: b[0]!, slabSize: b[1]!, regs: b[2]!, slabs: b[3]! });
    }
    return { bins, large: { allocated: this.#large[0]!, extents: this.#large[1]! } };
  }

  /** arena.4096.purge (glibc: malloc_trim(0)). Flushes the calling thread's tcache first. */
  purge(): void {
    check(this.#s.purge(), this.#s, 'purge');
  }

  /** arena.4096.decay: purges what the decay curves say is due now (glibc: nothing). */
  decay(): void {
    check(this.#s.decay(), this.#s, 'decay');
  }

  /** Live object and set handles in the whole process. */
  live(): { objects: number; sets: number } {
    const o = new Float64Array(2);
    this.#s.live(o);
    return { objects: o[0]!, sets: o[1]! };
  }

  #handle(v: number, op: string, arg: number, index?: number): number {
    if (v >= 0) return v;
    throw codeError(v, op, arg, index);
  }

  #code(rc: number, op: string, arg: number): void {
    if (rc !== SL.ok) throw codeError(rc, op, arg);
  }
}

function codeError(rc: number, op: string, arg: number, index?: number): SimloadError {
  switch (rc) {
    case SL.badHandle:
      return new SimloadError(
        'ERR_BAD_HANDLE',
        `${op}(${arg}): not a live handle of this kind (already freed, or not from this allocator)`,
      );
    case SL.nomem:
      return new SimloadError('ERR_NOMEM', `${op}: out of memory`);
    case SL.range:
      return new SimloadError('ERR_BAD_INDEX', `${op}(${arg}): index ${index} is past the end of the set`);
    case SL.arg:
      return new SimloadError('ERR_BAD_SIZE', `${op}: bad size ${arg}`);
    case SL.notLoaded:
      return new SimloadError('ERR_NOT_LOADED', `${op}: no allocator loaded in this process`);
    default:
      return new SimloadError('ERR_ALLOC', `${op}: shim error ${rc}`);
  }
}

function check(rc: number, s: ShimFns, op: string): void {
  if (rc !== SL.ok)
    throw new SimloadError(
      rc === SL.mallctl ? 'ERR_MALLCTL' : 'ERR_ALLOC',
      `${op}: ${s.lastError() || `shim error ${rc}`}`,
    );
}

function toSizes(sizes: ArrayLike<number>, op: string): Uint32Array {
  if (sizes instanceof Uint32Array) return sizes;
  const u = new Uint32Array(sizes.length);
  for (let i = 0; i < sizes.length; i++) {
    const n = sizes[i]!;
    if (!(n >= 1 && n <= 0xffffffff) || !Number.isInteger(n))
      throw new SimloadError('ERR_BAD_SIZE', `${op}: size #${i} is ${n}; sizes are integers in 1..4294967295`);
    u[i] = n;
  }
  return u;
}

function loadError(v: VariantOptions, lib: string | null, prefix: string, rc: number, detail: string): SimloadError {
  const what = lib ?? 'the process (glibc)';
  if (rc === SL.otherLib) return new SimloadError('ERR_OTHER_ALLOCATOR', `variant "${v.name}": ${detail}`);
  if (/mallctl not found/.test(detail)) {
    return new UsageError(
      'ERR_NO_MALLCTL',
      `variant "${v.name}": ${what} has no ${prefix}mallctl: not a jemalloc library, or its prefix is not "${prefix || 'none'}" (try --prefix ${prefix ? 'none' : 'je_'})`,
    );
  }
  if (/static TLS/.test(detail)) {
    return new UsageError(
      'ERR_LOAD_LIB',
      `variant "${v.name}": ${what} cannot be dlopen'ed into a running process (${detail}); it needs LD_PRELOAD, which variantEnv sets for child processes, or a build configured with --disable-initial-exec-tls`,
    );
  }
  return new UsageError('ERR_LOAD_LIB', `variant "${v.name}": cannot load ${what}: ${detail}`);
}

function verifyConf(name: string, envVar: string, conf: string, opts: AllocOptions): void {
  const want = expectedOpts(conf);
  const diffs: string[] = [];
  if (want.dirtyDecayMs !== undefined && want.dirtyDecayMs !== opts.dirtyDecayMs)
    diffs.push(`dirty_decay_ms ${opts.dirtyDecayMs} (asked ${want.dirtyDecayMs})`);
  if (want.muzzyDecayMs !== undefined && want.muzzyDecayMs !== opts.muzzyDecayMs)
    diffs.push(`muzzy_decay_ms ${opts.muzzyDecayMs} (asked ${want.muzzyDecayMs})`);
  if (want.backgroundThread !== undefined && want.backgroundThread !== opts.backgroundThread)
    diffs.push(`background_thread ${opts.backgroundThread} (asked ${want.backgroundThread})`);
  if (want.narenas !== undefined && want.narenas !== opts.narenas)
    diffs.push(`narenas ${opts.narenas} (asked ${want.narenas})`);
  if (diffs.length) {
    throw new UsageError(
      'ERR_MALLOC_CONF',
      `variant "${name}": jemalloc did not take ${envVar}="${conf}": it reports ${diffs.join(', ')}. Was the allocator already initialised in this process, or the conf set after load?`,
    );
  }
}
