// Where a process's Rss is, at one sample. Parts, in bytes:
//   live           jemalloc stats.allocated: bytes the program holds
//   fragmentation  stats.active - stats.allocated: pages in use by jemalloc beyond the bytes held (partly
//                  empty slabs, size-class rounding)
//   dirty          pdirty: freed pages jemalloc keeps, not yet purged (decay has not run)
//   metadata       stats.metadata: jemalloc's own bookkeeping
//   residentNotActive  only for a skynet console's `jmem` (kind `jmem`, which has no pdirty nor metadata):
//                  stats.resident - stats.active - LazyFree, i.e. dirty pages and metadata together. On
//                  jemalloc 5.0.x (skynet's until 2018) resident counts muzzy pages, which are the LazyFree
//                  ones, so LazyFree is taken out to count it once; on >= 5.1 resident does not count them and
//                  this part is understated by up to LazyFree (that goes to `rest`).
//   lazyFree       /proc LazyFree: pages freed with MADV_FREE that the kernel has not taken back yet
//                  (jemalloc's muzzy pages; stats.resident does not count them)
//   rest           Rss minus all of the above: the Node runtime, V8's heap, code, stacks, everything outside
//                  jemalloc, plus whatever jemalloc's counters and /proc disagree on.
// `rest` is defined as the remainder, so the parts add up to Rss exactly. It can go negative when jemalloc
// counts bytes that are not resident (metadata not yet touched, pages reserved but never written) or when the
// allocator's stats and /proc were read a moment apart while memory moved; a large negative rest means the
// breakdown is not trustworthy at that sample, and the report shows it rather than hiding it.

import type { AllocStats } from '../alloc/stats.js';
import type { Sample } from '../results/sample.js';

/**
 * What the allocator's stats tell: `jemalloc` (all of the above), `allocated-only` (glibc: mallinfo2 gives the
 * bytes held, not pages), `none` (no stats: the control channel did not answer).
 */
export type AllocKind = 'jemalloc' | 'jmem' | 'allocated-only' | 'none';

export const BREAKDOWN_PARTS = [
  'live',
  'fragmentation',
  'dirty',
  'metadata',
  'residentNotActive',
  'lazyFree',
  'rest',
] as const;
export type BreakdownPart = (typeof BREAKDOWN_PARTS)[number];

export const BREAKDOWN_LABELS: Record<BreakdownPart, string> = {
  live: 'live (allocated)',
  fragmentation: 'fragmentation (active - allocated)',
  dirty: 'dirty (not purged yet)',
  metadata: 'allocator metadata',
  residentNotActive: 'resident not active (dirty + metadata)',
  lazyFree: 'LazyFree (MADV_FREE)',
  rest: 'rest (runtime, outside jemalloc)',
};

export interface Breakdown {
  kind: AllocKind;
  rss: number;
  /** Null when the allocator does not tell this part; it is then inside `rest`. */
  live: number | null;
  fragmentation: number | null;
  dirty: number | null;
  metadata: number | null;
  residentNotActive: number | null;
  lazyFree: number;
  rest: number;
}

export function allocKind(a: AllocStats | null): AllocKind {
  if (!a) return 'none';
  if (a.source === 'skynet-jmem') return 'jmem';
  // glibc's bridge fills allocated (mallinfo2) and leaves jemalloc's page counters at zero.
  return a.active > 0 && a.resident > 0 ? 'jemalloc' : 'allocated-only';
}

/** The breakdown of one sample. live + fragmentation + dirty + metadata + lazyFree + rest === rss. Pure. */
export function breakdown(s: Pick<Sample, 'proc' | 'alloc'>): Breakdown {
  return breakdownOf(s.proc.rss, s.proc.lazyFree, s.alloc);
}

export function breakdownOf(rss: number, lazyFree: number, a: AllocStats | null): Breakdown {
  const kind = allocKind(a);
  if (kind === 'none' || !a) {
    return {
      kind,
      rss,
      live: null,
      fragmentation: null,
      dirty: null,
      metadata: null,
      residentNotActive: null,
      lazyFree,
      rest: rss - lazyFree,
    };
  }
  if (kind === 'allocated-only') {
    return {
      kind,
      rss,
      live: a.allocated,
      fragmentation: null,
      dirty: null,
      metadata: null,
      residentNotActive: null,
      lazyFree,
      rest: rss - lazyFree - a.allocated,
    };
  }
  // active >= allocated in jemalloc; a reading taken mid-update can invert them by a few bytes.
  const fragmentation = Math.max(0, a.active - a.allocated);
  if (kind === 'jmem') {
    const rna = Math.max(0, a.resident - a.active - lazyFree);
    const rest = rss - a.allocated - fragmentation - rna - lazyFree;
    return {
      kind,
      rss,
      live: a.allocated,
      fragmentation,
      dirty: null,
      metadata: null,
      residentNotActive: rna,
      lazyFree,
      rest,
    };
  }
  const rest = rss - a.allocated - fragmentation - a.pdirty - a.metadata - lazyFree;
  return {
    kind,
    rss,
    live: a.allocated,
    fragmentation,
    dirty: a.pdirty,
    metadata: a.metadata,
    residentNotActive: null,
    lazyFree,
    rest,
  };
}

/** Sum of the parts (nulls count as zero). Equals `rss` by construction; tests check it. */
export function breakdownSum(b: Breakdown): number {
  return BREAKDOWN_PARTS.reduce((sum, p) => sum + (b[p] ?? 0), 0);
}
