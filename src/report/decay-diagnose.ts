// The evidence half of a variant's diagnosis, from the decay data (decay.ts): which of MADV_FREE, starved
// decay, fragmentation or live data holds the memory kept at settle, with the numbers that show it. Pure.

import { formatBytes } from '../units.js';
import { MUZZY_NOTEWORTHY, type DecaySummary } from './decay.js';
import type { Breakdown } from './breakdown.js';

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** Null when the run has no per-arena stats (older runs, glibc): the caller keeps its generic sentence. */
export function decayEvidence(d: DecaySummary | null | undefined, b: Breakdown | null, rampDownEndMs: number | null): string | null {
  if (!d || !b || b.kind !== 'jemalloc') return null;
  const parts = (['lazyFree', 'dirty', 'fragmentation', 'live', 'rest'] as const)
    .map((p) => ({ p, bytes: b[p] ?? 0 }))
    .filter((x) => x.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes);
  const top = parts[0]?.p;
  const sinceDown = rampDownEndMs !== null ? d.endMs - rampDownEndMs : null;
  const starved = d.purgesSinceRampDown === 0 && sinceDown !== null;
  switch (top) {
    case 'lazyFree': {
      const held = d.arenas.filter((a) => a.pmuzzy >= MUZZY_NOTEWORTHY);
      const idle = held.filter((a) => a.lastMuzzyPurgeMs === null || (rampDownEndMs !== null && a.lastMuzzyPurgeMs <= rampDownEndMs));
      const lazy = `MADV_FREE: ${formatBytes(b.lazyFree)} LazyFree`;
      if (held.length === 0) return `${lazy}, though jemalloc holds under ${formatBytes(MUZZY_NOTEWORTHY)} muzzy in every arena (taken back by the kernel, or another process's pages)`;
      const quiet = idle.length ? idle : held;
      const gap = Math.min(...quiet.map((a) => d.endMs - (a.lastMuzzyPurgeMs ?? 0)));
      const list = `arena${quiet.length > 1 ? 's' : ''} ${quiet.map((a) => a.arena).join(', ')}`;
      if (idle.length) return `${lazy}, muzzy decay has not run in ${list} for ${secs(gap)}${starved ? ' (no purge in any arena since the ramp-down)' : ''}`;
      return `${lazy}, muzzy decay is running (last muzzy purge in ${list} ${secs(gap)} before the end) but has not caught up`;
    }
    case 'dirty':
      if (starved) return `decay starved: no purge in any arena since the ramp-down (${secs(sinceDown!)}), ${formatBytes(b.dirty ?? 0)} dirty`;
      return `decay behind: ${formatBytes(b.dirty ?? 0)} dirty, ${d.purgesSinceRampDown ?? 0} purge sweeps since the ramp-down, longest gap without a purge in the final hold ${d.maxPurgeGapMs !== null ? secs(d.maxPurgeGapMs) : '-'}`;
    case 'fragmentation': {
      const live = b.live ?? 0;
      const ratio = live > 0 ? (live + (b.fragmentation ?? 0)) / live : null;
      return `fragmentation: active is ${ratio !== null ? ratio.toFixed(1) : '?'}x allocated (${formatBytes(b.fragmentation ?? 0)} in partly used pages)`;
    }
    case 'live':
      return `live data: ${formatBytes(b.live ?? 0)} still allocated`;
    case 'rest':
      return `memory outside jemalloc: ${formatBytes(b.rest)} (the Node runtime and everything else)`;
    default:
      return null;
  }
}
