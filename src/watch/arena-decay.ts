// Stuck arenas in a watched skynet (`--skynet-inject` reads each arena's dirty and muzzy pages and purge counts):
// after the players left, which arenas kept their pages through the whole hold without a single purge while
// others purged. In jemalloc 5.0.1 an arena's decay runs only on operations on it, counted per thread, and a
// thread whose first allocator call was a free never counts any (docs/fidelity.md), so such an arena keeps its
// pages until something else touches it. simload reproduces that with `server.free_first_workers`: one worker
// per arena that never decays. Pure.
import type { ArenaDecay } from '../alloc/stats.js';
import type { Sample } from '../results/sample.js';
import { INJECT_ARENA_FIELDS, INJECT_TICKS_FIELD } from './inject.js';
import { minOf } from '../analysis/extremes.js';

/** Pages an arena must hold through the hold to count as stuck (less is noise: a few slabs). */
export const STUCK_MIN_BYTES = 1024 * 1024;
/**
 * A stuck arena counts towards free_first_workers only when it kept at least this share of an even split of what
 * all arenas held when the hold began: a simload worker that never decays keeps a worker's share of the freed
 * heap, so an arena that kept a few buffers (skynet's socket thread keeps its console reads: 2 MiB measured
 * beside 28 MiB in the workers' arenas) would be modelled as far more than it holds. Such arenas are `small`.
 */
export const STUCK_MIN_SHARE = 0.5;

/** The per-arena mallctls of one inject answer as ArenaDecay rows (bytes), and the other mallctls. */
export function splitArenaMallctls(
  mc: Record<string, number>,
  page: number,
): { arenas: ArenaDecay[]; rest: Record<string, number> } {
  const byArena = new Map<number, Record<string, number>>();
  const rest: Record<string, number> = {};
  for (const [k, v] of Object.entries(mc)) {
    const m = /^stats\.arenas\.(\d+)\.(\w+)$/.exec(k);
    const field = m?.[2];
    if (
      m &&
      m[1] !== '4096' &&
      (field === INJECT_TICKS_FIELD || (INJECT_ARENA_FIELDS as readonly string[]).includes(field!))
    ) {
      const i = Number(m[1]);
      byArena.set(i, { ...byArena.get(i), [m[2]!]: v });
    } else rest[k] = v;
  }
  const arenas = [...byArena.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([arena, f]) => ({
      arena,
      pdirty: (f.pdirty ?? 0) * page,
      pmuzzy: (f.pmuzzy ?? 0) * page,
      dirtyNpurge: f.dirty_npurge ?? 0,
      dirtyNmadvise: f.dirty_nmadvise ?? 0,
      dirtyPurged: f.dirty_purged ?? 0,
      muzzyNpurge: f.muzzy_npurge ?? 0,
      muzzyNmadvise: f.muzzy_nmadvise ?? 0,
      muzzyPurged: f.muzzy_purged ?? 0,
      ...(f[INJECT_TICKS_FIELD] !== undefined ? { decayTicks: f[INJECT_TICKS_FIELD] } : {}),
    }));
  return { arenas, rest };
}

export interface ArenaHold {
  arena: number;
  /** dirty + muzzy bytes at the hold's first and last sample, and the least in between. */
  fromBytes: number;
  toBytes: number;
  minBytes: number;
  /** Purge sweeps (dirty + muzzy) during the hold. */
  purges: number;
  /** `small`: kept its pages without a purge, but less than STUCK_MIN_SHARE of an even share (not counted). */
  state: 'stuck' | 'small' | 'purged' | 'empty';
}

export interface StuckArenas {
  /** The hold judged: ms since the watch began, from the drop's end to the last sample. */
  fromMs: number;
  toMs: number;
  /** How the drop was found: the operator's `down` mark, or the fall of jemalloc's allocated bytes. */
  drop: 'mark' | 'allocated';
  arenas: ArenaHold[];
  /**
   * Arenas that kept at least STUCK_MIN_BYTES and STUCK_MIN_SHARE of an even share through the hold without a
   * purge, while at least one other purged.
   */
  stuck: number[];
  /** The `server.free_first_workers` that makes simload keep as many arenas: the stuck count (0: none). */
  freeFirstWorkers: number;
  /** Why nothing could be said (no per-arena figures, no drop, no hold); null when judged. */
  unknown: string | null;
}

/** Judges the hold after the drop in one watch's samples. `down` marks the drop when the operator typed it. */
export function stuckArenas(samples: Sample[]): StuckArenas {
  const xs = samples.filter((s) => s.alloc?.arenas && s.alloc.arenas.length > 0).sort((a, b) => a.t - b.t);
  const none = (unknown: string, drop: StuckArenas['drop'] = 'mark'): StuckArenas => ({
    fromMs: 0,
    toMs: 0,
    drop,
    arenas: [],
    stuck: [],
    freeFirstWorkers: 0,
    unknown,
  });
  if (xs.length < 3) return none('no per-arena figures (watch a skynet with --skynet-console and --skynet-inject)');
  const found = dropEnd(xs);
  if (!found) return none('no drop found: mark `down` when the players leave', 'allocated');
  const hold = xs.filter((s) => s.t >= found.atMs);
  if (hold.length < 3) return none('the hold after the drop has fewer than 3 samples', found.how);
  const first = hold[0]!;
  const last = hold.at(-1)!;
  const ids = [...new Set(hold.flatMap((s) => s.alloc!.arenas!.map((a) => a.arena)))].sort((a, b) => a - b);
  const pages = (a: ArenaDecay | undefined) => (a ? a.pdirty + a.pmuzzy : 0);
  const purges = (a: ArenaDecay | undefined) => (a ? a.dirtyNpurge + a.muzzyNpurge : 0);
  const at = (s: Sample, id: number) => s.alloc!.arenas!.find((a) => a.arena === id);
  const held = ids.map((id) => pages(at(first, id)));
  const holding = held.filter((b) => b >= STUCK_MIN_BYTES);
  const evenShare = holding.length ? holding.reduce((t, b) => t + b, 0) / holding.length : 0;
  const arenas: ArenaHold[] = ids.map((id) => {
    const series = hold.map((s) => pages(at(s, id)));
    const h = {
      arena: id,
      fromBytes: series[0]!,
      toBytes: series.at(-1)!,
      minBytes: minOf(series),
      purges: purges(at(last, id)) - purges(at(first, id)),
    };
    const state: ArenaHold['state'] =
      h.purges > 0
        ? 'purged'
        : h.minBytes < STUCK_MIN_BYTES
          ? 'empty'
          : h.minBytes >= STUCK_MIN_SHARE * evenShare
            ? 'stuck'
            : 'small';
    return { ...h, state };
  });
  const purged = arenas.some((a) => a.state === 'purged');
  const stuck = purged ? arenas.filter((a) => a.state === 'stuck').map((a) => a.arena) : [];
  return {
    fromMs: first.t,
    toMs: last.t,
    drop: found.how,
    arenas,
    stuck,
    freeFirstWorkers: stuck.length,
    unknown:
      purged || arenas.every((a) => a.state === 'empty' || a.state === 'small')
        ? null
        : 'no arena purged during the hold (decay off, or nothing touched any arena): free_first_workers does not model that',
  };
}

/** The end of the drop: the end of the `down` phase when marked, else where allocated reached its low after its peak. */
function dropEnd(xs: Sample[]): { atMs: number; how: StuckArenas['drop'] } | null {
  const down = xs.findIndex((s) => s.phase === 'down');
  if (down >= 0) {
    const after = xs.findIndex((s, i) => i > down && s.phaseIndex !== xs[down]!.phaseIndex);
    return after >= 0 ? { atMs: xs[after]!.t, how: 'mark' } : null;
  }
  let peak = 0;
  xs.forEach((s, i) => {
    if (s.alloc!.allocated > xs[peak]!.alloc!.allocated) peak = i;
  });
  const rest = xs.slice(peak);
  const low = minOf(rest.map((s) => s.alloc!.allocated));
  const fall = xs[peak]!.alloc!.allocated - low;
  // A fall of at least a third of the peak: players leaving, not the heap breathing.
  if (fall < xs[peak]!.alloc!.allocated / 3) return null;
  const reached = rest.find((s) => s.alloc!.allocated <= low + 0.1 * fall)!;
  return { atMs: reached.t, how: 'allocated' };
}

export function formatStuckArenas(r: StuckArenas): string {
  if (r.unknown !== null && r.arenas.length === 0) return `stuck arenas: not judged: ${r.unknown}\n`;
  const MiB = 1024 * 1024;
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  const lines = [
    `arenas in the hold after the drop (${secs(r.fromMs)}-${secs(r.toMs)} s, drop found by ${r.drop === 'mark' ? 'the down mark' : 'allocated falling'}):`,
  ];
  const words = {
    stuck: 'stuck',
    small: 'kept without a purge, but little (not counted)',
    purged: 'purged',
    empty: 'empty',
  } as const;
  for (const a of r.arenas) {
    lines.push(
      `  arena ${a.arena}: dirty+muzzy ${(a.fromBytes / MiB).toFixed(1)} -> ${(a.toBytes / MiB).toFixed(1)} MiB, ${a.purges} purges: ${words[a.state]}`,
    );
  }
  if (r.unknown !== null) lines.push(`stuck arenas: not judged: ${r.unknown}`);
  else if (r.stuck.length === 0)
    lines.push('stuck arenas: none; free_first_workers: 0 reproduces this server (the default)');
  else
    lines.push(
      `stuck arenas: ${r.stuck.join(', ')} kept their pages through the hold while others purged; free_first_workers: ${r.freeFirstWorkers} reproduces that in a simulation`,
    );
  return lines.join('\n') + '\n';
}
