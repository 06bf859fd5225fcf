// Is decay running? Per-arena dirty and muzzy pages and purge counters from the samples (jemalloc builds
// only; older samples have none and every field here is null). Pure.
//   dirty_decay_time  from the ramp-down's end until jemalloc's dirty pages (all arenas) fall below
//                     DIRTY_DECAYED x their peak (or PAGES_NOTEWORTHY) and stay below to the last sample;
//                     `never` when the last sample is not below; 0 when dirty pages never built up
//                     (dirty_decay_ms:0 purges at once: the best case, not "never").
//   max_purge_gap     the longest stretch of the final hold with no purge in any arena (dirty or muzzy
//                     npurge unchanged between samples) while pages waited to be purged (dirty + muzzy at
//                     least PAGES_NOTEWORTHY); with nothing waiting there is nothing to purge, so no gap.
// Purges are seen at sample granularity: a counter that rose between two samples means at least one purge
// in between, dated at the later sample.

import type { ArenaDecay } from '../alloc/stats.js';
import type { Sample } from '../results/sample.js';
import type { PhaseSpan } from './phases.js';
import { holdTicks, type HoldTicks } from './decay-ticks.js';

/** Dirty pages count as decayed once below this fraction of their peak. */
export const DIRTY_DECAYED = 0.1;
/** An arena holding less muzzy memory than this is not named in the diagnosis. */
export const MUZZY_NOTEWORTHY = 1 << 20;
/** Less dirty (or dirty + muzzy) memory than this, in all arenas, is nothing to decay or purge. */
export const PAGES_NOTEWORTHY = 1 << 20;

export interface DecaySummary {
  /** Samples with per-arena stats (0: the run predates them, or not jemalloc). */
  samples: number;
  /** Highest dirty bytes (all arenas) of any sample, and when. */
  dirtyPeak: number;
  dirtyPeakAtMs: number;
  /** ms from the ramp-down's end until dirty < DIRTY_DECAYED x peak for good; null with `dirtyDecayNever` or no ramp-down. */
  dirtyDecayTimeMs: number | null;
  /** Dirty pages were still at or above DIRTY_DECAYED x peak at the last sample after the ramp-down. */
  dirtyDecayNever: boolean;
  /** Longest gap without any purge in the final hold, ms; null without a final hold. */
  maxPurgeGapMs: number | null;
  /** Purge sweeps (dirty + muzzy npurge, all arenas) from the ramp-down's end to the last sample. */
  purgesSinceRampDown: number | null;
  /** Per arena at the last sample, with when it last purged muzzy / dirty pages (ms since server start; null = never seen). */
  arenas: Array<{
    arena: number;
    pdirty: number;
    pmuzzy: number;
    lastDirtyPurgeMs: number | null;
    lastMuzzyPurgeMs: number | null;
  }>;
  /** Arena of each thread that loaded the allocator (last sample). */
  threads: Array<{ tid: number; arena: number; main: boolean }>;
  /** t of the last sample with arena stats. */
  endMs: number;
  /** jemalloc's version string at the last sample (null when not reported). */
  version: string | null;
  /** Decay ticks per arena over the final hold (decay-ticks.ts); null without the counter or a final hold. */
  holdTicks?: HoldTicks | null;
}

/** One purge observation: at sample time t, arena `arena` purged (dirty and/or muzzy sweeps since the previous sample). */
export interface PurgeEvent {
  t: number;
  arena: number;
  dirty: number;
  muzzy: number;
}

const arenasOf = (s: Sample): ArenaDecay[] | undefined => s.alloc?.arenas;

/** Purge events between consecutive samples with arena stats. */
export function purgeEvents(samples: Sample[]): PurgeEvent[] {
  const out: PurgeEvent[] = [];
  let prev = new Map<number, ArenaDecay>();
  let first = true;
  for (const s of samples) {
    const arenas = arenasOf(s);
    if (!arenas) continue;
    const now = new Map(arenas.map((a) => [a.arena, a]));
    if (!first) {
      for (const a of arenas) {
        const p = prev.get(a.arena);
        const dirty = a.dirtyNpurge - (p?.dirtyNpurge ?? 0);
        const muzzy = a.muzzyNpurge - (p?.muzzyNpurge ?? 0);
        if (dirty > 0 || muzzy > 0)
          out.push({ t: s.t, arena: a.arena, dirty: Math.max(0, dirty), muzzy: Math.max(0, muzzy) });
      }
    }
    prev = now;
    first = false;
  }
  return out;
}

export function decaySummary(
  samples: Sample[],
  rampDownEndMs: number | null,
  hold: PhaseSpan | null,
): DecaySummary | null {
  const withArenas = samples.filter((s) => arenasOf(s) !== undefined);
  if (withArenas.length === 0) return null;
  let peak = withArenas[0]!;
  for (const s of withArenas) if (s.alloc!.pdirty > peak.alloc!.pdirty) peak = s;
  const dirtyPeak = peak.alloc!.pdirty;

  let dirtyDecayTimeMs: number | null = null;
  let dirtyDecayNever = false;
  if (rampDownEndMs !== null) {
    // The first sample from which dirty stays below the line: a purge followed by more frees (players whose
    // state is freed late) dips and comes back, which is not decayed.
    const after = withArenas.filter((s) => s.t >= rampDownEndMs);
    const line = Math.max(DIRTY_DECAYED * dirtyPeak, PAGES_NOTEWORTHY);
    let from: Sample | null = null;
    for (const s of after) {
      if (s.alloc!.pdirty >= line) from = null;
      else from ??= s;
    }
    // Nothing ever built up to decay: the best case reads best.
    if (dirtyPeak < PAGES_NOTEWORTHY) dirtyDecayTimeMs = after.length > 0 ? 0 : null;
    else if (from) dirtyDecayTimeMs = from.t - rampDownEndMs;
    else dirtyDecayNever = after.length > 0;
  }

  const events = purgeEvents(withArenas);
  let maxPurgeGapMs: number | null = null;
  if (hold && hold.samples.length > 0) {
    const purgedAt = new Set(events.filter((e) => e.t > hold.fromMs && e.t <= hold.toMs).map((e) => e.t));
    const waiting = (s: Sample) => s.alloc!.pdirty + s.alloc!.pmuzzy >= PAGES_NOTEWORTHY;
    // A gap grows over each stretch between samples that began with pages waiting and ends at a purge; a
    // stretch that began with nothing waiting had nothing to purge, and ends the gap.
    const before = withArenas.filter((s) => s.t <= hold.fromMs).at(-1);
    let prevT = hold.fromMs;
    let prevWaiting = before ? waiting(before) : true;
    let run = 0;
    maxPurgeGapMs = 0;
    for (const s of withArenas.filter((x) => x.t > hold.fromMs && x.t <= hold.toMs)) {
      run = prevWaiting ? run + (s.t - prevT) : 0;
      maxPurgeGapMs = Math.max(maxPurgeGapMs, run);
      if (purgedAt.has(s.t)) run = 0;
      prevT = s.t;
      prevWaiting = waiting(s);
    }
    if (prevWaiting) maxPurgeGapMs = Math.max(maxPurgeGapMs, run + (hold.toMs - prevT));
  }
  const purgesSinceRampDown =
    rampDownEndMs === null
      ? null
      : events.filter((e) => e.t > rampDownEndMs).reduce((n, e) => n + e.dirty + e.muzzy, 0);

  const last = withArenas.at(-1)!;
  const lastPurge = (arena: number, kind: 'dirty' | 'muzzy') => {
    const e = events.filter((x) => x.arena === arena && x[kind] > 0).at(-1);
    return e ? e.t : null;
  };
  return {
    samples: withArenas.length,
    dirtyPeak,
    dirtyPeakAtMs: peak.t,
    dirtyDecayTimeMs,
    dirtyDecayNever,
    maxPurgeGapMs,
    purgesSinceRampDown,
    arenas: arenasOf(last)!.map((a) => ({
      arena: a.arena,
      pdirty: a.pdirty,
      pmuzzy: a.pmuzzy,
      lastDirtyPurgeMs: lastPurge(a.arena, 'dirty'),
      lastMuzzyPurgeMs: lastPurge(a.arena, 'muzzy'),
    })),
    threads: (last.alloc!.threads ?? []).map((t) => ({ ...t })),
    endMs: last.t,
    version: last.alloc!.version ?? null,
    holdTicks: hold ? holdTicks(hold.samples) : null,
  };
}

/** `dirty_decay_time` as a metric: Infinity for never (so `dirty_decay_time < 20s` fails and `> 20s` passes). */
export function dirtyDecayMetric(d: DecaySummary | null | undefined): number | null {
  if (!d) return null;
  return d.dirtyDecayNever ? Infinity : d.dirtyDecayTimeMs;
}
