// The decay metrics on hand-made samples (exact numbers), and an old run folder (no per-arena stats) still
// summarises and renders, without a decay panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { decayTickerBypass, type ArenaDecay } from '../../src/alloc/stats.js';
import type { Sample } from '../../src/results/sample.js';
import type { Breakdown } from '../../src/analysis/breakdown.js';
import { decaySummary, dirtyDecayMetric, purgeEvents } from '../../src/analysis/decay.js';
import { decayEvidence } from '../../src/analysis/decay-diagnose.js';
import { formatMetric } from '../../src/analysis/metric-format.js';
import { renderReport } from '../../src/report/render.js';
import { fixtureCopy, MiB } from '../helpers/run-fixture.js';
import { arenaStats, dirtyStats, finalHold, holdSample } from '../helpers/sample.js';

const arena = (i: number, pdirty: number, dirtyNpurge: number, muzzyNpurge = 0, pmuzzy = 0): ArenaDecay =>
  arenaStats(i, pdirty, dirtyNpurge, { pmuzzy, muzzyNpurge, muzzyNmadvise: muzzyNpurge });
function sample(t: number, arenas: ArenaDecay[]): Sample {
  const pdirty = arenas.reduce((n, a) => n + a.pdirty, 0);
  return holdSample(t, { alloc: dirtyStats(pdirty, arenas, '5.0.1-0-gx') });
}
const span = finalHold;

test('dirty decay time, purge gaps and purge events from per-arena counters', () => {
  // Peak 50 MiB dirty at t=1 s; ramp-down ends at 2 s; below 5 MiB (10% of peak) from t=6 s.
  const s = [
    sample(0, [arena(0, 10 * MiB, 0), arena(1, 0, 0)]),
    sample(1000, [arena(0, 30 * MiB, 1), arena(1, 20 * MiB, 0)]),
    sample(2000, [arena(0, 30 * MiB, 1), arena(1, 20 * MiB, 0)]),
    sample(4000, [arena(0, 10 * MiB, 3), arena(1, 10 * MiB, 0)]),
    sample(6000, [arena(0, 2 * MiB, 4), arena(1, 2 * MiB, 0, 2)]),
    sample(12000, [arena(0, 2 * MiB, 4), arena(1, 2 * MiB, 0, 2)]),
  ];
  assert.deepEqual(purgeEvents(s), [
    { t: 1000, arena: 0, dirty: 1, muzzy: 0 },
    { t: 4000, arena: 0, dirty: 2, muzzy: 0 },
    { t: 6000, arena: 0, dirty: 1, muzzy: 0 },
    { t: 6000, arena: 1, dirty: 0, muzzy: 2 },
  ]);
  const d = decaySummary(s, 2000, span(s.slice(2), 2000, 12000))!;
  assert.equal(d.dirtyPeak, 50 * MiB);
  assert.equal(d.dirtyPeakAtMs, 1000);
  assert.equal(d.dirtyDecayTimeMs, 4000);
  assert.equal(d.dirtyDecayNever, false);
  // Purges at 4 s and 6 s in a hold from 2 s to 12 s: the longest gap is 6 s..12 s.
  assert.equal(d.maxPurgeGapMs, 6000);
  assert.equal(d.purgesSinceRampDown, 5);
  assert.deepEqual(
    d.arenas.map((a) => [a.arena, a.lastDirtyPurgeMs, a.lastMuzzyPurgeMs]),
    [
      [0, 6000, null],
      [1, null, 6000],
    ],
  );

  // Never below 10%: never, not 0; the whole hold without a purge is the gap.
  const stuck = [
    sample(0, [arena(0, 40 * MiB, 2)]),
    sample(5000, [arena(0, 40 * MiB, 2)]),
    sample(15000, [arena(0, 39 * MiB, 2)]),
  ];
  const n = decaySummary(stuck, 5000, span(stuck.slice(1), 5000, 15000))!;
  assert.equal(n.dirtyDecayNever, true);
  assert.equal(n.dirtyDecayTimeMs, null);
  assert.equal(dirtyDecayMetric(n), Infinity);
  assert.equal(formatMetric(Infinity, 'ms'), 'never');
  assert.equal(n.maxPurgeGapMs, 10000);
  assert.equal(n.purgesSinceRampDown, 0);

  // A dip below 10% that comes back (late frees after a purge) is not decayed: the time counts from when it stays below.
  const dip = [
    sample(0, [arena(0, 40 * MiB, 0)]),
    sample(2000, [arena(0, 3 * MiB, 1)]),
    sample(3000, [arena(0, 30 * MiB, 1)]),
    sample(5000, [arena(0, 3 * MiB, 2)]),
    sample(6000, [arena(0, 2 * MiB, 2)]),
  ];
  assert.equal(decaySummary(dip, 1000, null)!.dirtyDecayTimeMs, 4000);
  const back = [...dip, sample(7000, [arena(0, 10 * MiB, 2)])];
  assert.equal(decaySummary(back, 1000, null)!.dirtyDecayNever, true);
});

test('an old run folder (samples without per-arena stats) summarises and renders without a decay panel', async () => {
  const dir = await fixtureCopy();
  const { html, summary } = await renderReport(dir);
  for (const v of summary.variants) {
    assert.equal(v.decay, null);
    assert.equal(dirtyDecayMetric(v.decay), null);
  }
  const page = await readFile(html, 'utf8');
  assert.doesNotMatch(page, /Decay per arena/);
});

test('an arena that keeps its pages while others purge is named; on jemalloc 5.0-5.2 with the first-free() bug as a likely cause', () => {
  // Ramp-down ends at 2 s. Arena 0 purges dirty and muzzy pages after it; arena 1 keeps 40 MiB dirty and
  // 30 MiB muzzy and never purges.
  const at = (version: string) => {
    const s = [
      sample(0, [arena(0, 30 * MiB, 0), arena(1, 40 * MiB, 0, 0, 30 * MiB)]),
      sample(2000, [arena(0, 30 * MiB, 0), arena(1, 40 * MiB, 0, 0, 30 * MiB)]),
      sample(12000, [arena(0, 0, 3, 2), arena(1, 40 * MiB, 0, 0, 30 * MiB)]),
    ].map((x) => ({ ...x, alloc: { ...x.alloc!, version } }));
    return decaySummary(s, 2000, span(s.slice(1), 2000, 12000))!;
  };
  const b = (dirty: number, lazyFree: number): Breakdown => ({
    kind: 'jemalloc',
    rss: 200 * MiB,
    live: 10 * MiB,
    fragmentation: 1 * MiB,
    dirty,
    metadata: 1 * MiB,
    residentNotActive: dirty,
    lazyFree,
    rest: 5 * MiB,
  });
  const old = at('5.0.1-0-g896ed3a8');
  assert.equal(old.version, '5.0.1-0-g896ed3a8');
  const dirty = decayEvidence(old, b(40 * MiB, 0), 2000)!;
  assert.match(
    dirty,
    /^decay behind: 40\.0 MiB dirty, 5 purge sweeps since the ramp-down, longest gap without a purge in the final hold 10 s; 40\.0 MiB of it in arena 1, which did not purge since the ramp-down; jemalloc 5\.0\.1 never runs decay from a thread whose first allocator call was free\(\) \(jemalloc#2251\)/,
  );
  const lazy = decayEvidence(old, b(1 * MiB, 30 * MiB), 2000)!;
  assert.match(
    lazy,
    /^MADV_FREE: 30\.0 MiB LazyFree, muzzy decay has never run in arena 1 \(12 s since the server started\); jemalloc 5\.0\.1 never runs decay/,
  );
  // 5.3.0 ticks decay from per-thread state: the arena is named, the bug is not.
  const fixed = decayEvidence(at('5.3.0-0-g54eaed1d'), b(40 * MiB, 0), 2000)!;
  assert.match(fixed, /; 40\.0 MiB of it in arena 1, which did not purge since the ramp-down$/);
  assert.doesNotMatch(fixed, /jemalloc#2251/);
  assert.deepEqual(
    ['4.0.4', '4.5.0', '5.0.1', '5.1.0', '5.2.1', '5.3.0', ''].map((v) => decayTickerBypass(v)),
    [false, true, true, true, true, false, false],
  );
});
