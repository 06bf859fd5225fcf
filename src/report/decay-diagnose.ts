// The evidence half of a variant's diagnosis, from the decay data (decay.ts): which of MADV_FREE, starved
// decay, fragmentation or live data holds the memory kept at settle, with the numbers that show it. Pure.

import { formatBytes } from '../units.js';
import { MUZZY_NOTEWORTHY, type DecaySummary } from './decay.js';
import type { Breakdown } from './breakdown.js';

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
/** active / allocated from which the diagnosis calls it fragmentation rather than live data. */
export const FRAGMENTED = 1.5;

/** Null when the run has no per-arena stats (older runs, glibc): the caller keeps its generic sentence. */
export function decayEvidence(d: DecaySummary | null | undefined, b: Breakdown | null, rampDownEndMs: number | null): string | null {
  if (!d || !b || b.kind !== 'jemalloc') return null;
  // Live data is the answer when it outweighs everything jemalloc keeps beyond it; otherwise the largest of
  // those (LazyFree, dirty, fragmentation) is, and a second one at least half its size is named too.
  // `rest`, mostly the runtime's baseline, is left out.
  const live = b.live ?? 0;
  const activeRatio = live > 0 ? (live + (b.fragmentation ?? 0)) / live : null;
  const overhead = (['lazyFree', 'dirty', 'fragmentation'] as const)
    .map((p) => ({ p, bytes: b[p] ?? 0 }))
    .filter((x) => x.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes);
  const overheadSum = overhead.reduce((n, x) => n + x.bytes, 0);
  const fragmented = activeRatio !== null && activeRatio >= FRAGMENTED;
  const order: Part[] = live >= overheadSum ? [fragmented ? 'fragmentation' : 'live'] : overhead.filter((x, i) => i === 0 || x.bytes >= overhead[0]!.bytes / 2).map((x) => x.p);
  const sinceDown = rampDownEndMs !== null ? d.endMs - rampDownEndMs : null;
  const starved = d.purgesSinceRampDown === 0 && sinceDown !== null;
  const said = order.map((p) => evidence(p, d, b, rampDownEndMs, sinceDown, starved, live, activeRatio)).filter((x): x is string => x !== null);
  return said.length ? said.join('; also ') : null;
}

type Part = 'lazyFree' | 'dirty' | 'fragmentation' | 'live';

function evidence(top: Part, d: DecaySummary, b: Breakdown, rampDownEndMs: number | null, sinceDown: number | null, starved: boolean, live: number, activeRatio: number | null): string | null {
  switch (top) {
    case 'lazyFree': {
      const held = d.arenas.filter((a) => a.pmuzzy >= MUZZY_NOTEWORTHY);
      const idle = held.filter((a) => a.lastMuzzyPurgeMs === null || (rampDownEndMs !== null && a.lastMuzzyPurgeMs <= rampDownEndMs));
      const lazy = `MADV_FREE: ${formatBytes(b.lazyFree)} LazyFree`;
      if (held.length === 0) return `${lazy}, though jemalloc holds under ${formatBytes(MUZZY_NOTEWORTHY)} muzzy in every arena (taken back by the kernel, or another process's pages)`;
      const quiet = idle.length ? idle : held;
      const gap = Math.min(...quiet.map((a) => d.endMs - (a.lastMuzzyPurgeMs ?? 0)));
      const list = `arena${quiet.length > 1 ? 's' : ''} ${quiet.map((a) => a.arena).join(', ')}`;
      const never = quiet.every((a) => a.lastMuzzyPurgeMs === null);
      const tail = starved ? ' (no purge in any arena since the ramp-down)' : '';
      if (idle.length && never) return `${lazy}, muzzy decay has never run in ${list} (${secs(d.endMs)} since the server started)${tail}`;
      if (idle.length) return `${lazy}, muzzy decay has not run in ${list} for ${secs(gap)}${tail}`;
      return `${lazy}, muzzy decay is running (last muzzy purge in ${list} ${secs(gap)} before the end) but has not caught up`;
    }
    case 'dirty':
      if (starved) return `decay starved: no purge in any arena since the ramp-down (${secs(sinceDown!)}), ${formatBytes(b.dirty ?? 0)} dirty`;
      return `decay behind: ${formatBytes(b.dirty ?? 0)} dirty, ${d.purgesSinceRampDown ?? 0} purge sweeps since the ramp-down, longest gap without a purge in the final hold ${d.maxPurgeGapMs !== null ? secs(d.maxPurgeGapMs) : '-'}`;
    case 'fragmentation':
      return `fragmentation: active is ${activeRatio !== null ? activeRatio.toFixed(1) : '?'}x allocated (${formatBytes(b.fragmentation ?? 0)} in partly used pages)`;
    case 'live':
      return `live data: ${formatBytes(live)} still allocated (active is ${activeRatio !== null ? activeRatio.toFixed(2) : '?'}x allocated)`;
  }
}
