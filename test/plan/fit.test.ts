// The capacity fit on fixed points; every expected value below was computed by hand (shown in comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitCapacity, fitLine, playersWithin } from '../../src/plan/fit.js';
import { predict, type PlanPoint } from '../../src/results/plan.js';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);

test('least squares on three points that are not on a line', () => {
  // mean x 2000, mean y 410e6; sxx = 2e6; sxy = 1000*160e6 + 1000*170e6 = 330e9 -> slope 165000
  // intercept = 410e6 - 165000*2000 = 80e6; residuals 5e6, -10e6, 5e6 -> sse 150e12; syy 54.6e15
  const l = fitLine([1000, 2000, 3000], [250e6, 400e6, 580e6]);
  close(l.slope, 165000);
  close(l.intercept, 80e6);
  close(l.r2, 1 - 150e12 / 54.6e15);
  close(l.r2, 0.9972527472527473);
  assert.equal(l.n, 3);
  close(predict(l, 4000), 740e6);
});

test('two points give the line through them; degenerate input is refused', () => {
  const l = fitLine([500, 1500], [100e6, 300e6]);
  close(l.slope, 200000);
  close(l.intercept, 0);
  assert.equal(l.r2, 1);
  assert.throws(() => fitLine([1000, 1000], [1, 2]), /two different player counts/);
  assert.throws(() => fitLine([1000], [1]), /at least two points/);
  assert.throws(() => fitLine([1, 2], [1]), /differ in length/);
});

test('players within a budget: floor, never negative, none when memory does not grow', () => {
  const l = { slope: 165000, intercept: 80e6, r2: 1, n: 3 };
  assert.equal(playersWithin(l, 900e6), 4969); // 820e6 / 165000 = 4969.69
  assert.equal(playersWithin(l, 80e6 + 165000 * 100), 100); // exactly on the line
  assert.equal(playersWithin(l, 50e6), 0); // below the base cost
  assert.equal(playersWithin({ slope: 0, intercept: 1, r2: 1, n: 2 }, 1e9), null);
  assert.equal(playersWithin({ slope: -5, intercept: 1, r2: 1, n: 2 }, 1e9), null);
});

test('capacity for a 1 GB budget with 10% headroom', () => {
  const points: PlanPoint[] = [
    { players: 1000, peakRss: 250e6, peakUnreclaimable: 240e6, settledRss: 200e6, settledUnreclaimable: 120e6 },
    { players: 2000, peakRss: 400e6, peakUnreclaimable: 380e6, settledRss: 330e6, settledUnreclaimable: 170e6 },
    { players: 3000, peakRss: 580e6, peakUnreclaimable: 520e6, settledRss: 460e6, settledUnreclaimable: 220e6 },
  ];
  const c = fitCapacity(points, 1e9, 0.1);
  close(c.usableBytes, 900e6);
  close(c.bytesPerPlayer, 165000);
  close(c.baseBytes, 80e6);
  assert.equal(c.recommended, 4969);
  // peak unreclaimable: exact line 140000/player + 100e6 -> (900e6 - 100e6) / 140000 = 5714.28
  close(c.lines.peakUnreclaimable.slope, 140000);
  assert.equal(c.fitsIfReclaimed, 5714);
  // settled Rss: 130000/player + 70e6; settled unreclaimable: 50000/player + 70e6
  close(c.lines.settledRss.slope, 130000);
  close(c.lines.settledUnreclaimable.intercept, 70e6);
  const at = c.atRecommended!;
  close(at.peakRss, 899_885_000); // 80e6 + 165000 * 4969
  close(at.settledRss, 715_970_000); // 70e6 + 130000 * 4969
  close(at.settledNeeded, 318_450_000); // 70e6 + 50000 * 4969
  close(at.settledReclaimable, 397_520_000);
  assert.equal(c.largestMeasured, 3000);
  assert.equal(c.extrapolated, true); // 4969 > 1.5 x 3000
  assert.equal(fitCapacity(points, 700e6, 0).extrapolated, false); // (700e6-80e6)/165000 = 3757 <= 4500
  assert.equal(fitCapacity(points, 700e6, 0).recommended, 3757);
});

test('peak Rss - LazyFree cannot need more than peak Rss: a steeper noisy line does not lower the count', () => {
  const points: PlanPoint[] = [
    { players: 200, peakRss: 123e6, peakUnreclaimable: 122.9e6, settledRss: 100e6, settledUnreclaimable: 90e6 },
    { players: 400, peakRss: 160e6, peakUnreclaimable: 160e6, settledRss: 110e6, settledUnreclaimable: 100e6 },
  ];
  // peak Rss: 185000/player + 86e6 -> (180e6 - 86e6) / 185000 = 508.1; unreclaimable alone: 185500/player + 85.8e6 -> 507.8
  const c = fitCapacity(points, 200e6, 0.1);
  assert.equal(c.recommended, 508);
  assert.equal(c.fitsIfReclaimed, 508);
});
