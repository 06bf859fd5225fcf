// Where active - allocated ("fragmentation") lies, by jemalloc size class: at the peak and over the settle window,
// from the samples' `alloc.sizeClasses` (src/alloc/stats.ts). Pure; summary.json holds the result.
//
// Per small size class (bin): allocated = regions x size, active = slabs x slab size, and active - allocated is
// the free room in its slabs. Large allocations are whole extents: their active - allocated is one page of
// cache-oblivious padding per extent, reported in bulk as `large` = (active - allocated) - the bins' sum.

import type { SizeClasses } from '../alloc/stats.js';
import type { Sample } from '../results/sample.js';

export interface SizeClassRow {
  /** Region size and slab size of the class, bytes. */
  size: number;
  slabSize: number;
  allocated: number;
  active: number;
  /** active - allocated. */
  gap: number;
  /** allocated / active: how full the class's slabs are; null when it has no slab. */
  utilisation: number | null;
}

export interface SizeClassPoint {
  /** The sample (peak) or the window (settle), ms since the server started, and how many samples it averages. */
  fromMs: number;
  toMs: number;
  samples: number;
  /** jemalloc stats.active - stats.allocated (mean over the samples). */
  activeMinusAllocated: number;
  /** The small classes' part: the sum of `classes[].gap`. */
  small: number;
  /** The rest: large extents (one padding page each). small + large = activeMinusAllocated. */
  large: number;
  /** Every class in use, largest active - allocated first. */
  classes: SizeClassRow[];
}

export interface SizeClassSummary {
  /**
   * At the sample with the most allocated bytes: the live-data peak, before players leave. Not the highest-Rss
   * sample: freed pages stay resident until decay, so a skynet's Rss peaks after the ramp-down has begun, when
   * the departed players' objects have already left holes in the slabs.
   */
  peak: SizeClassPoint | null;
  /** Mean over the summary's settle window (the last tenth of the final hold). */
  settle: SizeClassPoint | null;
}

const hasClasses = (s: Sample): s is Sample & { alloc: { sizeClasses: SizeClasses } } => !!s.alloc?.sizeClasses;

/** Null when no sample has size classes (older runs, glibc, a skynet console). */
export function sizeClassSummary(samples: Sample[], settle: Sample[]): SizeClassSummary | null {
  const withClasses = samples.filter(hasClasses);
  if (withClasses.length === 0) return null;
  let peak = withClasses[0]!;
  for (const s of withClasses) if (s.alloc.allocated > peak.alloc.allocated) peak = s;
  return { peak: sizeClassPoint([peak]), settle: sizeClassPoint(settle.filter(hasClasses)) };
}

/** The mean of each class over these samples (a class missing from a sample counts as empty there). */
export function sizeClassPoint(samples: Sample[]): SizeClassPoint | null {
  const withClasses = samples.filter(hasClasses);
  const n = withClasses.length;
  if (n === 0) return null;
  const bySize = new Map<number, { slabSize: number; allocated: number; active: number }>();
  let gapTotal = 0;
  for (const s of withClasses) {
    gapTotal += s.alloc.active - s.alloc.allocated;
    for (const b of s.alloc.sizeClasses.bins) {
      const c = bySize.get(b.size) ?? { slabSize: b.slabSize, allocated: 0, active: 0 };
      c.allocated += b.regs * b.size;
      c.active += b.slabs * b.slabSize;
      bySize.set(b.size, c);
    }
  }
  const classes: SizeClassRow[] = [...bySize].map(([size, c]) => {
    const allocated = c.allocated / n;
    const active = c.active / n;
    return {
      size,
      slabSize: c.slabSize,
      allocated,
      active,
      gap: active - allocated,
      utilisation: active > 0 ? allocated / active : null,
    };
  });
  classes.sort((a, b) => b.gap - a.gap || a.size - b.size);
  const small = classes.reduce((t, c) => t + c.gap, 0);
  const activeMinusAllocated = gapTotal / n;
  return {
    fromMs: withClasses[0]!.t,
    toMs: withClasses.at(-1)!.t,
    samples: n,
    activeMinusAllocated,
    small,
    large: activeMinusAllocated - small,
    classes,
  };
}
