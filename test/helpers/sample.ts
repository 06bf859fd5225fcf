// Test helper (not a test): a watch sample with a given time and Rss, nothing else measured.
import type { ArenaDecay } from '../../src/alloc/stats.js';
import type { PhaseSpan } from '../../src/analysis/phases.js';
import type { Sample } from '../../src/results/sample.js';

const MiB = 2 ** 20;

/** A baseline sample of variant `w` at `t` ms with `rssMiB` of Rss; `o` overrides any field. */
export function watchSample(t: number, rssMiB: number, o: Partial<Sample> = {}): Sample {
  return {
    v: 1,
    variant: 'w',
    t,
    wall: 1e12 + t,
    phaseIndex: -1,
    phase: 'baseline',
    target: 1,
    online: 0,
    proc: { rss: rssMiB * MiB, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
    alloc: null,
    runtime: null,
    ...o,
  };
}

/** A sample of variant `x` in a hold at `t` ms (wall = t), 100 MiB of Rss, no allocator stats; `o` overrides. */
export function holdSample(t: number, o: Partial<Sample> = {}): Sample {
  return {
    v: 1,
    variant: 'x',
    t,
    wall: t,
    phaseIndex: 0,
    phase: 'hold',
    target: 0,
    online: 0,
    proc: { rss: 100 * MiB, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
    alloc: null,
    runtime: null,
    ...o,
  };
}

/** jemalloc stats with `pdirty` dirty bytes over `arenas` and nothing else of note. */
export function dirtyStats(pdirty: number, arenas: ArenaDecay[], version: string): NonNullable<Sample['alloc']> {
  return {
    allocated: 1,
    active: 1,
    metadata: 0,
    resident: 1,
    mapped: 1,
    retained: 0,
    pdirty,
    pmuzzy: 0,
    version,
    arenas,
    threads: [],
  };
}

/** Phase 3 (the final hold) from `fromMs` to `toMs` over `samples`. */
export const finalHold = (samples: Sample[], fromMs: number, toMs: number): PhaseSpan => ({
  phaseIndex: 3,
  phase: 'hold',
  fromMs,
  toMs,
  samples,
});

/** One arena's decay stats: `pdirty` dirty bytes and `dirtyNpurge` purges (as many madvise calls), the rest 0; `o` overrides. */
export function arenaStats(
  arena: number,
  pdirty: number,
  dirtyNpurge: number,
  o: Partial<ArenaDecay> = {},
): ArenaDecay {
  return {
    arena,
    pdirty,
    pmuzzy: 0,
    dirtyNpurge,
    dirtyNmadvise: dirtyNpurge,
    dirtyPurged: 0,
    muzzyNpurge: 0,
    muzzyNmadvise: 0,
    muzzyPurged: 0,
    ...o,
  };
}
