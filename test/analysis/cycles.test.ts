// Cycles and reuse on computed series whose answer is worked out by hand, and through summarize() and the
// expect: rules that threshold them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Phase } from '../../src/scenario/types.js';
import { scenarioOf, series } from '../helpers/series.js';
import { cycleStarts, cycleSummary, phaseEndTargets } from '../../src/analysis/cycles.js';
import { cyclesSection } from '../../src/report/cycles-section.js';
import { phaseSpans } from '../../src/analysis/phases.js';
import { summarizeVariant } from '../../src/analysis/summary.js';
import { checkExpectations } from '../../src/analysis/expect.js';
import { parseExpectRule } from '../../src/scenario/expect.js';
import type { ExpectRule } from '../../src/scenario/types.js';
import { summaryOf } from '../helpers/summary.js';

const MiB = 2 ** 20;

const CYCLE: Phase[] = [
  { kind: 'ramp', to: { count: 1000 }, durationMs: 10_000 },
  { kind: 'hold', durationMs: 10_000 },
  { kind: 'ramp', to: { fractionOfPeak: 0.3 }, durationMs: 10_000 },
  { kind: 'hold', durationMs: 20_000 },
];
const DAY_NIGHT = [...CYCLE, ...CYCLE, ...CYCLE];
const ONLINE = (k: number) => [1000, 1000, 300, 300][k % 4]!;

test('cycles start where the target climbs again after a fall', () => {
  const targets = phaseEndTargets([], scenarioOf(DAY_NIGHT));
  assert.deepEqual([...targets.values()], [1000, 1000, 300, 300, 1000, 1000, 300, 300, 1000, 1000, 300, 300]);
  assert.deepEqual(cycleStarts(targets), [0, 4, 8]);
  // Two climbs without a fall between them are one cycle.
  assert.deepEqual(
    cycleStarts(
      new Map([
        [0, 0],
        [1, 500],
        [2, 1000],
        [3, 300],
        [4, 900],
      ]),
    ),
    [1, 4],
  );
});

// Baseline 100 MiB, first peak 1 100 MiB at 1 000 players: 1 MiB per player. The night keeps 700 MiB with 300
// players online: their share is 100 + 300 = 400, so 300 MiB is kept beyond it.
function rssOf(peaks: number[], troughs: number[]) {
  return (k: number, i: number, n: number): number => {
    const c = Math.floor(k / 4);
    const from = c === 0 ? 100 : troughs[c - 1]!;
    switch (k % 4) {
      case 0:
        return from + ((peaks[c]! - from) * (i + 1)) / n;
      case 1:
        return peaks[c]!;
      case 2:
        return peaks[c]! - ((peaks[c]! - troughs[c]!) * (i + 1)) / n;
      default:
        return troughs[c]!;
    }
  };
}

test('reuse: the share of the climb that fitted in memory kept, and of the kept memory used', () => {
  // Cycle 2 climbs 700 players from a 700 MiB trough to 1 100 MiB: 400 MiB of new Rss for a 700 MiB need,
  // reuse = 300 / 700; the 300 MiB kept was all used, keptReuse = 1. Cycle 3 climbs to 1 250 MiB from the same
  // trough: 550 of 700, reuse = 150 / 700, keptReuse = 0.5; its peak is 1 250 / 1 100 of the first.
  const phases = DAY_NIGHT;
  const samples = series(phases, rssOf([1100, 1100, 1250], [700, 700, 700]), ONLINE);
  const c = cycleSummary(samples, phaseSpans(samples), scenarioOf(phases), 100 * MiB)!;
  assert.equal(c.cycles.length, 3);
  assert.equal(c.bytesPerPlayer, MiB);
  const [c1, c2, c3] = c.cycles;
  assert.deepEqual([c1!.fromPhase, c1!.toPhase, c2!.fromPhase, c3!.toPhase], [0, 3, 4, 11]);
  assert.deepEqual(c1!.trough, { rss: 700 * MiB, online: 300, fromMs: 54_000, toMs: 55_000 });
  assert.equal(c1!.reuse, null);
  assert.equal(c2!.growth, 400 * MiB);
  assert.equal(c2!.need, 700 * MiB);
  assert.equal(c2!.kept, 300 * MiB);
  assert.ok(Math.abs(c2!.reuse! - 3 / 7) < 1e-12);
  assert.equal(c2!.keptReuse, 1);
  assert.equal(c2!.peakRatio, 1);
  assert.ok(Math.abs(c3!.reuse! - 150 / 700) < 1e-12);
  assert.ok(Math.abs(c3!.keptReuse! - 0.5) < 1e-12);
  assert.ok(Math.abs(c3!.peakRatio - 1250 / 1100) < 1e-12);
  assert.ok(Math.abs(c.reuse! - 150 / 700) < 1e-12);
  assert.ok(Math.abs(c.keptReuse! - 0.5) < 1e-12);
  assert.ok(Math.abs(c.peakRatio! - 1250 / 1100) < 1e-12);
});

test('nothing kept: reuse 0 when a later climb needs all its growth anew, 1 when Rss does not rise', () => {
  // Night gives back to the players' share (400 MiB); the next peak climbs the full 700 MiB: reuse 0, and
  // keptReuse has nothing to measure.
  const none = series(CYCLE.concat(CYCLE), rssOf([1100, 1100], [400, 400]), ONLINE);
  const a = cycleSummary(none, phaseSpans(none), scenarioOf(CYCLE.concat(CYCLE)), 100 * MiB)!;
  assert.equal(a.reuse, 0);
  assert.equal(a.keptReuse, null);
  // The night keeps everything (1 100 MiB) and the next peak stays there: reuse 1.
  const all = series(CYCLE.concat(CYCLE), rssOf([1100, 1100], [1100, 1100]), ONLINE);
  const b = cycleSummary(all, phaseSpans(all), scenarioOf(CYCLE.concat(CYCLE)), 100 * MiB)!;
  assert.equal(b.reuse, 1);
  assert.equal(b.keptReuse, 1);
});

test('one peak has no cycles; the metrics are then unmeasured and their rules fail', () => {
  const samples = series(CYCLE, rssOf([1100], [700]), ONLINE);
  assert.equal(cycleSummary(samples, phaseSpans(samples), scenarioOf(CYCLE), 100 * MiB), null);
  const rules = ['reuse > 0.1', 'cycle_peak_ratio < 1.1'].map((r) => parseExpectRule(r, null) as ExpectRule);
  const v = summarizeVariant('v', samples, [], scenarioOf(CYCLE, rules), null);
  const res = checkExpectations(summaryOf(v), rules);
  assert.deepEqual(
    res.map((r) => [r.pass, r.actual, r.reason]),
    [
      [false, null, 'not measured in this run'],
      [false, null, 'not measured in this run'],
    ],
  );
});

test('summarize carries the cycles; expect: thresholds them', () => {
  const samples = series(DAY_NIGHT, rssOf([1100, 1100, 1250], [700, 700, 700]), ONLINE);
  const rules = ['reuse > 0.3', 'kept_reuse >= 50%', 'cycle_peak_ratio < 1.1', 'cycle_peak_ratio < 1.2'].map(
    (r) => parseExpectRule(r, null) as ExpectRule,
  );
  const v = summarizeVariant('v', samples, [], scenarioOf(DAY_NIGHT, rules), null);
  assert.equal(v.cycles?.cycles.length, 3);
  const res = checkExpectations(summaryOf(v), rules);
  assert.equal(v.validity.valid, true, v.validity.reasons.join('; '));
  assert.deepEqual(
    res.map((r) => r.pass),
    [false, true, false, true],
  );
  const values = res.map((r) => r.actual);
  assert.ok(Math.abs(values[0]! - 150 / 700) < 1e-12);
  assert.equal(values[1], 0.5);
  assert.ok(Math.abs(values[2]! - 1250 / 1100) < 1e-12);
});

test('the report section lists every cycle with its figures, and the drift interval', async () => {
  const samples = series(DAY_NIGHT, rssOf([1100, 1100, 1250], [700, 700, 700]), ONLINE);
  const v = summarizeVariant('v', samples, [], scenarioOf(DAY_NIGHT), null);
  const summary = summaryOf(v);
  const out = await cyclesSection.render(
    { dir: '', meta: null, scenario: null, samples, events: [], latency: null, plan: null, skippedLines: 0 },
    summary,
  );
  assert.ok(out);
  const rows = [...out.html.matchAll(/<tr>(.*?)<\/tr>/g)]
    .slice(1)
    .map((m) => [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]));
  assert.deepEqual(rows, [
    ['1', '0-3', '1.1 GiB at 15s', '1000', '1.00x', '700.0 MiB (300 online)', '-', '-', '-', '-', '-'],
    [
      '2',
      '4-7',
      '1.1 GiB at 1m5s',
      '1000',
      '1.00x',
      '700.0 MiB (300 online)',
      '400.0 MiB',
      '700.0 MiB',
      '300.0 MiB',
      '43%',
      '100%',
    ],
    [
      '3',
      '8-11',
      '1.2 GiB at 1m55s',
      '1000',
      '1.14x',
      '700.0 MiB (300 online)',
      '550.0 MiB',
      '700.0 MiB',
      '300.0 MiB',
      '21%',
      '50%',
    ],
  ]);
  // The final night is flat at 700 MiB: a slope of 0 with an interval around it.
  assert.equal(v.drift?.rss.perHour, 0);
  assert.match(out.html, /Rss 0 B\/h \(95%: 0 B\/h to 0 B\/h\)/);
  // Nothing to show: no section.
  const flat = summarizeVariant(
    'v',
    series(
      CYCLE.slice(0, 2),
      () => 100,
      () => 1000,
    ),
    [],
    scenarioOf(CYCLE.slice(0, 2)),
    null,
  );
  assert.equal(
    await cyclesSection.render(
      { dir: '', meta: null, scenario: null, samples: [], events: [], latency: null, plan: null, skippedLines: 0 },
      { ...summary, variants: [{ ...flat, drift: null }] },
    ),
    null,
  );
});
