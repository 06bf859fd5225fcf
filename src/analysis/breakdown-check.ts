// Does the breakdown add up on this jemalloc? The breakdown's jemalloc parts (live + fragmentation + dirty +
// metadata) against jemalloc's own `stats.resident`, made version-aware: 5.0.x counts muzzy pages in resident
// (they are the LazyFree part, from /proc), 5.1 and later do not. The difference, as a share of Rss, is
// what the breakdown cannot place; `rest` (Rss minus all parts) must not go negative either. Pure.

import { residentIncludesMuzzy, residentWithoutMuzzy } from '../alloc/stats.js';
import type { Sample } from '../results/sample.js';
import { allocKind, breakdown } from './breakdown.js';

export interface BreakdownCheck {
  t: number;
  rss: number;
  /** live + fragmentation + dirty + metadata. */
  parts: number;
  /** stats.resident without muzzy pages. */
  resident: number;
  /** stats.resident as jemalloc reports it (5.0.x: with muzzy). */
  residentRaw: number;
  /** (parts - resident) / rss. */
  gapShare: number;
  /** The same against the raw resident: what a version-blind breakdown would be off by. */
  rawGapShare: number;
  rest: number;
  residentIncludesMuzzy: boolean;
}

/** One row per sample with jemalloc stats. */
export function breakdownCheck(samples: Sample[]): BreakdownCheck[] {
  const out: BreakdownCheck[] = [];
  for (const s of samples) {
    const a = s.alloc;
    if (!a || allocKind(a) !== 'jemalloc') continue;
    const b = breakdown(s);
    const parts = (b.live ?? 0) + (b.fragmentation ?? 0) + (b.dirty ?? 0) + (b.metadata ?? 0);
    const resident = residentWithoutMuzzy(a);
    out.push({
      t: s.t,
      rss: s.proc.rss,
      parts,
      resident,
      residentRaw: a.resident,
      gapShare: (parts - resident) / s.proc.rss,
      rawGapShare: (parts - a.resident) / s.proc.rss,
      rest: b.rest,
      residentIncludesMuzzy: residentIncludesMuzzy(a.version),
    });
  }
  return out;
}

/** Largest |gap| / Rss over the samples (0 without jemalloc samples). */
export function worstGapShare(rows: BreakdownCheck[]): number {
  return rows.reduce((m, r) => Math.max(m, Math.abs(r.gapShare)), 0);
}
