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
   * `skynet-jmem`: read from a skynet console's `jmem`, which gives allocated, active, resident, mapped and
   * retained only; metadata, pdirty and pmuzzy are then 0 because they are unknown (report/breakdown.ts).
   */
  source?: 'skynet-jmem';
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
