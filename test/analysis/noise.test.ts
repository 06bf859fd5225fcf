// compare's noise floors (analysis/noise.ts) on the fixture's summary, edited. What it assumes: identical runs of
// a scenario differ by less than each metric's floor (measured on nightly.yaml, docs/measurements.md), so the
// swings seen between two identical nightly runs are not regressions, while a planted regression of ~30 KB per
// player is; with N runs per side each metric is the median of its runs, so one outlier run decides nothing,
// and a shift of every run does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns, compareSummaries } from '../../src/analysis/compare.js';
import { loadRun } from '../../src/analysis/load.js';
import { summarize, type Summary, type VariantSummary } from '../../src/analysis/summary.js';
import { FIXTURE_DIR } from '../helpers/run-fixture.js';

const fixture = summarize(await loadRun(FIXTURE_DIR));

function edited(edit: (v: VariantSummary) => void): Summary {
  const s = structuredClone(fixture);
  s.variants.forEach(edit);
  return s;
}

/** The fixture's variants settled in 2.5 s..; set what the swings below need. */
function nightly(
  v: VariantSummary,
  o: { settle: number; retention: number; dirty: number; decay: number; p999: number; max: number; bpp: number },
): void {
  Object.assign(v, {
    timeToSettleMs: o.settle,
    settleState: 'settled',
    retention: o.retention,
    dirtyShare: o.dirty,
    bytesPerPlayer: o.bpp,
  });
  v.decay = v.decay ? { ...v.decay, dirtyDecayTimeMs: o.decay, dirtyDecayNever: false } : v.decay;
  if (v.worstLatency) v.worstLatency = { ...v.worstLatency, p999: o.p999, max: o.max };
}

test('the swings between two identical nightly runs are noise: no regression', () => {
  const a = edited((v) =>
    nightly(v, { settle: 0, retention: 0.52, dirty: 0.0, decay: 13_000, p999: 300, max: 500, bpp: 150 * 1024 }),
  );
  const b = edited((v) =>
    nightly(v, { settle: 6500, retention: 0.579, dirty: 0.011, decay: 15_000, p999: 534, max: 855, bpp: 156 * 1024 }),
  );
  const c = compareSummaries(a, b, 0.1);
  assert.deepEqual(c.regressions, []);
  const m = c.variants[0]!.metrics;
  const verdict = (name: string) => m.find((d) => d.metric === name)!.verdict;
  for (const name of ['time_to_settle', 'retention', 'dirty_share', 'bytes_per_player'])
    assert.equal(verdict(name), 'worse-within-tolerance', name);
  // The fixture's phases hold a few hundred samples: p99.9 and the maximum are shown, not judged.
  assert.equal(m.find((d) => d.metric === 'p999')!.role, 'information');
  assert.equal(m.find((d) => d.metric === 'max_latency')!.role, 'information');
});

test('a planted regression of 30 KB per player is caught and named', () => {
  const a = edited((v) => (v.bytesPerPlayer = 150 * 1024));
  const b = edited((v) => (v.bytesPerPlayer = 180 * 1024));
  const c = compareSummaries(a, b, 0.1);
  assert.equal(c.regressions.length, fixture.variants.length);
  for (const r of c.regressions)
    assert.match(
      r,
      /: bytes\/player \(peak\) 150\.0 KiB -> 180\.0 KiB \(\+20\.0%\), beyond its noise floor 15\.0 KiB$/,
    );
});

test('N runs per side: medians; one outlier run decides nothing, a shift of every run does', () => {
  const runs = (bpp: number[]) => bpp.map((k) => edited((v) => (v.bytesPerPlayer = k * 1024)));
  const base = runs([150, 153, 148]);
  assert.deepEqual(compareRuns(base, runs([151, 200, 149]), 0.1).regressions, []);
  const shifted = compareRuns(base, runs([181, 178, 184]), 0.1);
  assert.equal(shifted.variants[0]!.runs.candidate, 3);
  assert.match(shifted.regressions[0]!, /bytes\/player \(peak\) 150\.0 KiB -> 181\.0 KiB/);
});

test('drift slopes differ by noise within their confidence intervals; without an interval they only inform', () => {
  const GiBh = 2 ** 30;
  const slope = (perHour: number, half: number | null) => ({
    perHour,
    low: half === null ? null : perHour - half,
    high: half === null ? null : perHour + half,
    stdError: null,
    lag1: 0.9,
    batches: 10,
  });
  const drift =
    (perHour: number, half: number | null, warmupGiven = true) =>
    (v: VariantSummary) => {
      v.drift = {
        fromMs: 0,
        toMs: 30_000,
        samples: 40,
        window: 'final-hold',
        warmupMs: 0,
        warmupGiven,
        rss: slope(perHour, half),
        allocated: null,
      };
    };
  const rss = (c: ReturnType<typeof compareSummaries>) => c.variants[0]!.metrics.find((d) => d.metric === 'rss_slope')!;
  // A 30 s hold extrapolated per hour: -7.9 GiB/h and +0.03 GiB/h, each +-10 GiB/h, are the same.
  const wide = compareSummaries(edited(drift(-7.9 * GiBh, 10 * GiBh)), edited(drift(0.03 * GiBh, 10 * GiBh)), 0.1);
  assert.deepEqual([rss(wide).verdict, wide.regressions], ['worse-within-tolerance', []]);
  // Tight intervals: a real climb decides.
  const tight = compareSummaries(edited(drift(0, 0.01 * GiBh)), edited(drift(1 * GiBh, 0.01 * GiBh)), 0.1);
  assert.equal(rss(tight).verdict, 'worse');
  // No interval: shown, not judged.
  const none = compareSummaries(edited(drift(0, null)), edited(drift(1 * GiBh, null)), 0.1);
  assert.deepEqual([rss(none).role, rss(none).verdict], ['information', 'worse-within-tolerance']);
  // The same tight climb in a scenario that asked for no drift window (no record.warmup): shown, not judged.
  const hold = compareSummaries(edited(drift(0, 0.01 * GiBh, false)), edited(drift(1 * GiBh, 0.01 * GiBh)), 0.1);
  assert.deepEqual(
    [rss(hold).role, rss(hold).verdict, hold.regressions],
    ['information', 'worse-within-tolerance', []],
  );
});

test('"never" is only beyond what the run could see: a change decides when that window is beyond the floor', () => {
  // Every variant: the ramp-down ends at 10 s and the decay stats go on for 16 s after it.
  const times = (decayMs: number | null) => (v: VariantSummary) => {
    v.rampDownEndMs = 10_000;
    v.decay = {
      ...{
        samples: 40,
        dirtyPeak: 64 * 2 ** 20,
        dirtyPeakAtMs: 9_000,
        maxPurgeGapMs: null,
        purgesSinceRampDown: null,
        arenas: [],
        threads: [],
        version: null,
      },
      endMs: 26_000,
      dirtyDecayTimeMs: decayMs,
      dirtyDecayNever: decayMs === null,
    };
  };
  const decay = (c: ReturnType<typeof compareSummaries>) =>
    c.variants.map((x) => x.metrics.find((d) => d.metric === 'dirty_decay_time')!.verdict);
  const n = fixture.variants.length;
  // 12 s, then not within 16 s: at least 4 s later, under the 12 s floor.
  assert.deepEqual(
    decay(compareSummaries(edited(times(12_000)), edited(times(null)), 0.1)),
    Array(n).fill('worse-within-tolerance'),
  );
  // 2 s, then not within 16 s: at least 14 s later.
  const late = compareSummaries(edited(times(2_000)), edited(times(null)), 0.1);
  assert.deepEqual(decay(late), Array(n).fill('worse'));
  assert.ok(
    late.regressions.every((r) => /dirty decay time 2(\.0)?s -> never/.test(r)),
    late.regressions.join('; '),
  );
  // And back: never, then 12 s is no better beyond the floor; never, then 2 s is.
  assert.deepEqual(decay(compareSummaries(edited(times(null)), edited(times(12_000)), 0.1)), Array(n).fill('same'));
  assert.deepEqual(decay(compareSummaries(edited(times(null)), edited(times(2_000)), 0.1)), Array(n).fill('better'));
});
