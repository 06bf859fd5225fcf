// Metrics read best where the behaviour is best, and "not applicable" where nothing happened that they time:
// dirty pages that never built up (dirty_decay_ms:0) decay in 0, not "never"; a hold with nothing waiting to be
// purged has no purge gap; Rss that never grew has no time to settle (n/a: no threshold fails, compare judges
// nothing); a few pages of LazyFree at the end are not "still held". Hand-made samples, exact numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArenaDecay } from '../../src/alloc/stats.js';
import type { Sample } from '../../src/results/sample.js';
import { compareSummaries } from '../../src/analysis/compare.js';
import { decaySummary } from '../../src/analysis/decay.js';
import { checkExpectations } from '../../src/analysis/expect.js';
import { showMetric } from '../../src/analysis/metric-format.js';
import { metricDef } from '../../src/analysis/metrics.js';
import { loadRun } from '../../src/analysis/load.js';
import { settleTime, summarize, type Summary } from '../../src/analysis/summary.js';
import { FIXTURE_DIR, MiB } from '../helpers/run-fixture.js';
import { arenaStats, dirtyStats, finalHold, holdSample } from '../helpers/sample.js';

const arena = (pdirty: number, dirtyNpurge: number, pmuzzy = 0): ArenaDecay =>
  arenaStats(0, pdirty, dirtyNpurge, { pmuzzy });
function sample(t: number, pdirty: number, npurge: number, rss = 100 * MiB, lazyFree = 0): Sample {
  return holdSample(t, {
    phaseIndex: 3,
    proc: { rss, lazyFree, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
    alloc: dirtyStats(pdirty, [arena(pdirty, npurge)], '5.3.0-0-gx'),
  });
}
/** The fixture's settling variant, to carry hand-made decay summaries. */
const FIXTURE_VARIANT = summarize(await loadRun(FIXTURE_DIR)).variants.find((v) => v.variant === 'no-madv-free')!;
const span = finalHold;

test('dirty_decay_ms:0 (no dirty pages ever) reads 0 and beats decay switched off; a hold with nothing to purge has no gap', () => {
  // Purged at once: a few pages at most, no purge needed in the hold.
  const zero = [0, 1000, 2000, 4000, 8000, 20000].map((t) => sample(t, t === 1000 ? 64 * 1024 : 0, 1));
  const z = decaySummary(zero, 2000, span(zero.slice(2), 2000, 20000))!;
  assert.equal(z.dirtyDecayTimeMs, 0);
  assert.equal(z.dirtyDecayNever, false);
  assert.equal(z.maxPurgeGapMs, 0);
  // Decay off (dirty_decay_ms:-1): 40 MiB stay dirty and nothing purges.
  const off = [0, 1000, 2000, 4000, 8000, 20000].map((t) => sample(t, t === 0 ? 0 : 40 * MiB, 0));
  const o = decaySummary(off, 2000, span(off.slice(2), 2000, 20000))!;
  assert.equal(o.dirtyDecayNever, true);
  assert.equal(o.maxPurgeGapMs, 18_000);
  // Pages waiting from 2 s to 8 s without a purge, none left after: the gap is those 6 s, not the hold.
  const drained = [0, 1000, 2000, 4000, 8000, 20000].map((t) => sample(t, t >= 1000 && t < 8000 ? 20 * MiB : 0, 1));
  assert.equal(decaySummary(drained, 2000, span(drained.slice(2), 2000, 20000))!.maxPurgeGapMs, 6000);

  const def = metricDef('dirty_decay_time')!;
  const cmp = compareSummaries(withDecay(o), withDecay(z), 0.1);
  assert.equal(cmp.variants[0]!.metrics.find((m) => m.metric === 'dirty_decay_time')!.verdict, 'better');
  assert.equal(
    compareSummaries(withDecay(z), withDecay(o), 0.1).variants[0]!.metrics.find((m) => m.metric === 'dirty_decay_time')!
      .verdict,
    'worse',
  );
  const [pass] = checkExpectations(withDecay(z), [
    { variant: null, metric: 'dirty_decay_time', op: '<', value: 5000, source: 'dirty_decay_time < 5s' },
  ]);
  assert.deepEqual([pass!.actual, pass!.pass], [0, true]);
  assert.equal(def.get(withDecay(z).variants[0]!), 0);
});

test('Rss that never grew: time to settle is not applicable, passes its threshold and decides nothing in compare', async () => {
  const flat = [0, 1000, 2000, 3000].map((t) => sample(t, 0, 0, 100 * MiB + t * 100));
  assert.deepEqual(settleTime(flat, 100 * MiB + 300_000, 1500, 3000, 100 * MiB + 200_000, 100 * MiB), {
    ms: null,
    notApplicable: true,
  });
  // A real fall is still timed, and no fall after real growth is still "never".
  const fall = [0, 1000, 2000, 3000].map((t) => sample(t, 0, 0, t < 2000 ? 300 * MiB : 120 * MiB));
  assert.deepEqual(settleTime(fall, 300 * MiB, 1500, 3000, 120 * MiB, 100 * MiB), { ms: 500 });
  assert.deepEqual(settleTime(fall, 300 * MiB, 1500, 3000, 295 * MiB, 100 * MiB), { ms: null });

  const base = summarize(await loadRun(FIXTURE_DIR));
  const idle = structuredClone(base);
  for (const v of idle.variants) Object.assign(v, { settleState: 'not-applicable', timeToSettleMs: null });
  const def = metricDef('time_to_settle')!;
  assert.equal(showMetric(def, idle.variants[0]!), 'n/a');
  const [r] = checkExpectations(idle, [
    { variant: 'madv-free', metric: 'time_to_settle', op: '<', value: 30_000, source: 'time_to_settle < 30s' },
  ]);
  assert.equal(r!.pass, true);
  assert.match(r!.reason!, /^not applicable: /);
  const d = compareSummaries(base, idle, 0.1)
    .variants.find((v) => v.variant === 'no-madv-free')!
    .metrics.find((m) => m.metric === 'time_to_settle')!;
  assert.equal(d.verdict, 'n/a');
});

test('LazyFree under 1 MiB left at the end is taken back, not "still held"', async () => {
  const run = await loadRun(FIXTURE_DIR);
  const mine = run.samples.filter((s) => s.variant === 'no-madv-free');
  // A 600 KiB blip that shrinks to 300 KiB and stays to the end.
  const peakAt = mine[Math.floor(mine.length / 2)]!.t;
  for (const s of mine) s.proc.lazyFree = s.t < peakAt ? 0 : s.t === peakAt ? 600 * 1024 : 300 * 1024;
  const v = summarize(run).variants.find((x) => x.variant === 'no-madv-free')!;
  assert.equal(v.lazyFree.peak, 600 * 1024);
  assert.ok(
    v.lazyFree.reclaimedAtMs !== null && v.lazyFree.reclaimedAtMs > peakAt,
    `taken back at ${v.lazyFree.reclaimedAtMs}`,
  );
});

/** A one-variant summary of the fixture carrying this decay summary. */
function withDecay(d: NonNullable<ReturnType<typeof decaySummary>>): Summary {
  return {
    schema: 'simload.summary',
    v: 2,
    scenario: 'x',
    status: 'complete',
    startedAt: null,
    endedAt: null,
    notes: [],
    valid: true,
    invalid: [],
    // The ramp-down of the hand-made timelines ends at 2 s.
    variants: [{ ...FIXTURE_VARIANT, rampDownEndMs: 2000, decay: d }],
  };
}
