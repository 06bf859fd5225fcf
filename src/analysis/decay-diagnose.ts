// The evidence half of a variant's diagnosis, from the decay data (decay.ts): which of MADV_FREE, starved
// decay, fragmentation or live data holds the memory kept at settle, with the numbers that show it. Pure.

import { decayTickerBypass, jemallocRelease } from '../alloc/stats.js';
import { formatBytes } from '../units.js';
import { MUZZY_NOTEWORTHY, type DecaySummary } from './decay.js';
import type { Breakdown } from './breakdown.js';

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
/** active / allocated from which the diagnosis calls it fragmentation rather than live data. */
export const FRAGMENTED = 1.5;

/** Null when the run has no per-arena stats (older runs, glibc): the caller keeps its generic sentence. */
export function decayEvidence(
  d: DecaySummary | null | undefined,
  b: Breakdown | null,
  rampDownEndMs: number | null,
): string | null {
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
  const order: Part[] =
    live >= overheadSum
      ? [fragmented ? 'fragmentation' : 'live']
      : overhead.filter((x, i) => i === 0 || x.bytes >= overhead[0]!.bytes / 2).map((x) => x.p);
  const sinceDown = rampDownEndMs !== null ? d.endMs - rampDownEndMs : null;
  const starved = d.purgesSinceRampDown === 0 && sinceDown !== null;
  const said = order
    .map((p) => evidence(p, d, b, rampDownEndMs, sinceDown, starved, live, activeRatio))
    .filter((x): x is string => x !== null);
  return said.length ? said.join('; also ') : null;
}

type Part = 'lazyFree' | 'dirty' | 'fragmentation' | 'live';

function evidence(
  top: Part,
  d: DecaySummary,
  b: Breakdown,
  rampDownEndMs: number | null,
  sinceDown: number | null,
  starved: boolean,
  live: number,
  activeRatio: number | null,
): string | null {
  switch (top) {
    case 'lazyFree': {
      const held = d.arenas.filter((a) => a.pmuzzy >= MUZZY_NOTEWORTHY);
      const idle = held.filter(
        (a) => a.lastMuzzyPurgeMs === null || (rampDownEndMs !== null && a.lastMuzzyPurgeMs <= rampDownEndMs),
      );
      const lazy = `MADV_FREE: ${formatBytes(b.lazyFree)} LazyFree`;
      if (held.length === 0)
        return `${lazy}, though jemalloc holds under ${formatBytes(MUZZY_NOTEWORTHY)} muzzy in every arena (taken back by the kernel, or another process's pages)`;
      const quiet = idle.length ? idle : held;
      const gap = Math.min(...quiet.map((a) => d.endMs - (a.lastMuzzyPurgeMs ?? 0)));
      const list = `arena${quiet.length > 1 ? 's' : ''} ${quiet.map((a) => a.arena).join(', ')}`;
      const never = quiet.every((a) => a.lastMuzzyPurgeMs === null);
      const tail = starved ? ' (no purge in any arena since the ramp-down)' : '';
      const bug = idle.length && !starved ? bypassHint(d) : '';
      if (idle.length && never)
        return `${lazy}, muzzy decay has never run in ${list} (${secs(d.endMs)} since the server started)${tail}${bug}`;
      if (idle.length) return `${lazy}, muzzy decay has not run in ${list} for ${secs(gap)}${tail}${bug}`;
      return `${lazy}, muzzy decay is running (last muzzy purge in ${list} ${secs(gap)} before the end) but has not caught up`;
    }
    case 'dirty': {
      if (starved)
        return `decay starved: no purge in any arena since the ramp-down (${secs(sinceDown!)}), ${formatBytes(b.dirty ?? 0)} dirty`;
      // Arenas that kept their dirty pages while others purged: their decay is not running at all.
      const idle =
        rampDownEndMs === null
          ? []
          : d.arenas.filter(
              (a) =>
                a.pdirty >= MUZZY_NOTEWORTHY && (a.lastDirtyPurgeMs === null || a.lastDirtyPurgeMs <= rampDownEndMs),
            );
      const held = idle.length
        ? `; ${formatBytes(idle.reduce((n, a) => n + a.pdirty, 0))} of it in arena${idle.length > 1 ? 's' : ''} ${idle.map((a) => a.arena).join(', ')}, which did not purge since the ramp-down${bypassHint(d)}`
        : '';
      return `decay behind: ${formatBytes(b.dirty ?? 0)} dirty, ${d.purgesSinceRampDown ?? 0} purge sweeps since the ramp-down, longest gap without a purge in the final hold ${d.maxPurgeGapMs !== null ? secs(d.maxPurgeGapMs) : '-'}${held}`;
    }
    case 'fragmentation':
      return `fragmentation: active is ${activeRatio !== null ? activeRatio.toFixed(1) : '?'}x allocated (${formatBytes(b.fragmentation ?? 0)} in partly used pages)`;
    case 'live':
      return `live data: ${formatBytes(live)} still allocated (active is ${activeRatio !== null ? activeRatio.toFixed(2) : '?'}x allocated)`;
  }
}

/** On jemalloc 4.1-5.2, an arena that never decays while others do has a likely cause worth naming. */
function bypassHint(d: DecaySummary): string {
  if (!decayTickerBypass(d.version)) return '';
  return `; jemalloc ${jemallocRelease(d.version)!.text} never runs decay from a thread whose first allocator call was free() (jemalloc#2251): if that arena's own thread did, only other threads' use purges it`;
}
