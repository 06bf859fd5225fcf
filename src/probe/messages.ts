// What the probe's parent and child exchange: parameters in argv[2] (JSON), one JSON line back on stdout.

export interface ProbeParams {
  variant: { name: string; build?: string; lib?: string; prefix?: 'je_' | 'none' };
  /** Bytes to allocate in small objects. */
  targetBytes: number;
  /** How long decay is stepped after the free, ms. */
  settleMs: number;
}

export interface MemoryPoint {
  rss: number;
  lazyFree: number;
  /** jemalloc stats.allocated / resident / pdirty / pmuzzy (glibc: mallinfo2 figures, zeros elsewhere). */
  allocated: number;
  resident: number;
  pdirty: number;
  pmuzzy: number;
}

export interface ProbeMeasurement {
  objects: number;
  minSize: number;
  maxSize: number;
  /** Bytes requested, written and then freed. */
  freedBytes: number;
  before: MemoryPoint;
  afterAlloc: MemoryPoint;
  afterFree: MemoryPoint;
  settleMs: number;
  version: string | null;
  opts: {
    dirtyDecayMs: number | null;
    muzzyDecayMs: number | null;
    backgroundThread: boolean | null;
    narenas: number | null;
  };
}

export type ChildReply =
  { ok: true; m: ProbeMeasurement } | { ok: false; code: string; message: string; exitCode: number };
