// What the allocator bridge reports. Plain data, so it crosses IPC and lands in samples unchanged.

/** jemalloc's mallctl figures after an `epoch` refresh, in bytes (glibc fills what mallinfo2 has, zeros elsewhere). */
export interface AllocStats {
  allocated: number;
  active: number;
  metadata: number;
  resident: number;
  mapped: number;
  retained: number;
  /** Dirty pages over all arenas (`stats.arenas.4096.pdirty` x page size). */
  pdirty: number;
  /** Muzzy pages over all arenas (`stats.arenas.4096.pmuzzy` x page size): freed with MADV_FREE. */
  pmuzzy: number;
  /**
   * jemalloc's `version` (e.g. 5.0.1-0-g896ed3a8...), so a reader knows what `resident` means: 5.0.x counts
   * muzzy pages in it, 5.3.0 does not. Absent in older samples (read as 5.3.0) and for glibc.
   */
  version?: string;
  /** Per initialised arena: decay state and purge counters. Absent in older samples and for glibc. */
  arenas?: ArenaDecay[];
  /** Threads that loaded the allocator and the arena each is bound to (`thread.arena`); main = the process's main thread. */
  threads?: ThreadArena[];
  /**
   * Where active - allocated lies: per small size class of all arenas merged, and large extents in bulk.
   * Absent in samples written before it and for glibc (analysis/sizeclass.ts).
   */
  sizeClasses?: SizeClasses;
  /**
   * `skynet-jmem`: read from a skynet console's `jmem`, which gives allocated, active, resident, mapped and
   * retained only; metadata, pdirty and pmuzzy are then 0 because they are unknown (analysis/breakdown.ts).
   */
  source?: 'skynet-jmem';
}

/** One arena's decay: `stats.arenas.<i>.*`. Counters are cumulative since the process started. */
export interface ArenaDecay {
  arena: number;
  /** Bytes (pages x page size). */
  pdirty: number;
  pmuzzy: number;
  /** Purge sweeps, madvise calls and pages purged, dirty -> muzzy (MADV_FREE) or dirty/muzzy -> clean. */
  dirtyNpurge: number;
  dirtyNmadvise: number;
  dirtyPurged: number;
  muzzyNpurge: number;
  muzzyNmadvise: number;
  muzzyPurged: number;
  /**
   * Operations that advance this arena's decay in jemalloc 5.0.x, cumulative, all threads: thread-cache fills
   * (the bins' `nfills`), small objects freed to it (`small.ndalloc`), large extents allocated and freed
   * (`large.nmalloc`, `large.ndalloc`). 5.0.x counts them per thread and runs the arena's decay on each thread's
   * 1 000th, so an arena whose figure moves little over a hold keeps its dirty pages. Absent in older samples.
   */
  decayTicks?: number;
}

/** Small size classes (bins) and large extents, all arenas merged (`stats.arenas.4096.*`). */
export interface SizeClasses {
  /** Bins holding a slab or a region, smallest size first; empty bins are left out. */
  bins: BinStats[];
  /** `stats.arenas.4096.large.allocated` bytes and live large extents (`large.nmalloc - large.ndalloc`). */
  large: { allocated: number; extents: number };
}

/**
 * One small size class: `arenas.bin.<j>.size` and `.slab_size` (bytes), `stats.arenas.4096.bins.<j>.curregs` and
 * `.curslabs`. allocated = regs x size, active = slabs x slabSize (regions in thread caches count as allocated).
 */
export interface BinStats {
  size: number;
  slabSize: number;
  regs: number;
  slabs: number;
}

export interface ThreadArena {
  tid: number;
  arena: number;
  main: boolean;
}

/** True when this jemalloc's `stats.resident` includes muzzy pages (5.0.x and older; 5.1 stopped). */
export function residentIncludesMuzzy(version: string | undefined): boolean {
  const v = jemallocRelease(version);
  return v !== null && (v.major < 5 || (v.major === 5 && v.minor === 0));
}

/** `5.0.1-0-g896ed3a8...` as its numbers and `5.0.1`; null when the string is not a jemalloc version. */
export function jemallocRelease(
  version: string | undefined | null,
): { major: number; minor: number; text: string } | null {
  const m = /^(\d+)\.(\d+)\.\d+/.exec(version ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]), text: m[0] } : null;
}

/**
 * True for jemalloc versions in which a thread whose first allocator call is free() never ticks decay: it keeps
 * `arenas_tdata_bypass` set, so its own allocations never advance its arena's decay (4.1 through 5.2:
 * jemalloc#1497, #2251; 5.3.0 ticks from per-thread state). Such an arena purges only when other threads use it.
 */
export function decayTickerBypass(version: string | undefined | null): boolean {
  const v = jemallocRelease(version);
  return v !== null && ((v.major === 4 && v.minor >= 1) || (v.major === 5 && v.minor <= 2));
}

/** stats.resident without muzzy pages, on every version (what 5.3.0 reports). */
export function residentWithoutMuzzy(a: AllocStats): number {
  return residentIncludesMuzzy(a.version) ? Math.max(0, a.resident - a.pmuzzy) : a.resident;
}

export interface AllocOptions {
  dirtyDecayMs: number | null;
  muzzyDecayMs: number | null;
  backgroundThread: boolean | null;
  narenas: number | null;
}

/** What a loaded variant is: enough for a report to say which allocator it measured. */
export interface AllocInfo {
  variant: string;
  kind: 'jemalloc' | 'glibc';
  libPath: string | null;
  prefix: string;
  version: string | null;
  mallocConf: string | null;
  opts: AllocOptions;
}
