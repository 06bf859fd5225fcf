// What advanced each arena's decay over a hold: jemalloc 5.0.x runs an arena's decay only on operations on that
// arena (ArenaDecay.decayTicks counts them), so an arena that saw few of them in a quiet hold kept its dirty
// pages however old they were. Per arena over the hold: the ticks it saw, the purges, what it held at the end,
// and the messages the server handled meanwhile. Samples without the counter (older runs) give null. Pure.
import type { Sample } from '../results/sample.js';

/** jemalloc 5.0.x runs an arena's decay on every 1 000th tick of one thread on it (DECAY_NTICKS_PER_UPDATE). */
export const TICKS_PER_DECAY = 1000;

export interface ArenaTicks {
  arena: number;
  /** Decay ticks on this arena over the hold, all threads together. */
  ticks: number;
  /** Purge sweeps (dirty + muzzy) over the hold. */
  purges: number;
  /** Dirty and muzzy bytes at the hold's last sample. */
  dirtyEnd: number;
  muzzyEnd: number;
}

export interface HoldTicks {
  /** The hold's first and last samples with the counter (ms since the server started). */
  fromMs: number;
  toMs: number;
  /** Messages the server handled between them; null when the samples do not count them. */
  messages: number | null;
  /** Every arena seen in the hold, by index; one first seen inside the hold counts its ticks from 0. */
  arenas: ArenaTicks[];
}

const counted = (s: Sample) => !!s.alloc?.arenas?.length && s.alloc.arenas.every((a) => a.decayTicks !== undefined);

/** Per arena over the samples given (one variant's, in any order); null with fewer than two samples counting ticks. */
export function holdTicks(samples: Sample[]): HoldTicks | null {
  const xs = samples.filter(counted).sort((a, b) => a.t - b.t);
  if (xs.length < 2) return null;
  const first = xs[0]!;
  const last = xs.at(-1)!;
  const at = (s: Sample, arena: number) => s.alloc!.arenas!.find((a) => a.arena === arena);
  const ids = [...new Set(xs.flatMap((s) => s.alloc!.arenas!.map((a) => a.arena)))].sort((a, b) => a - b);
  const arenas = ids.map((arena) => {
    const a = at(first, arena);
    const b = at(last, arena);
    return {
      arena,
      ticks: (b?.decayTicks ?? 0) - (a?.decayTicks ?? 0),
      purges: (b ? b.dirtyNpurge + b.muzzyNpurge : 0) - (a ? a.dirtyNpurge + a.muzzyNpurge : 0),
      dirtyEnd: b?.pdirty ?? 0,
      muzzyEnd: b?.pmuzzy ?? 0,
    };
  });
  const m0 = first.server?.messages;
  const m1 = last.server?.messages;
  return {
    fromMs: first.t,
    toMs: last.t,
    messages: m0 !== undefined && m1 !== undefined ? m1 - m0 : null,
    arenas,
  };
}

/** Ticks per message handled, all arenas; null without messages. */
export function ticksPerMessage(h: HoldTicks | null | undefined): number | null {
  if (!h || !h.messages) return null;
  return h.arenas.reduce((n, a) => n + a.ticks, 0) / h.messages;
}

/** Arenas that purged at least once in the hold. */
export function purgedArenas(h: HoldTicks | null | undefined): number | null {
  return h ? h.arenas.filter((a) => a.purges > 0).length : null;
}
