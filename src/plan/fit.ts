// Straight lines through measured points (least squares) and what they say about a memory budget. Pure.
// The shapes it produces (PlanPoint, Line, CapacityFit) are plan.json's: results/plan.ts.

import { predict, type CapacityFit, type Line, type PlanPoint } from '../results/plan.js';

/** Ordinary least squares of y on x. Needs two distinct x values. */
export function fitLine(xs: readonly number[], ys: readonly number[]): Line {
  if (xs.length !== ys.length) throw new RangeError('fitLine: xs and ys differ in length');
  const n = xs.length;
  if (n < 2) throw new RangeError('fitLine: needs at least two points');
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new RangeError('fitLine: needs at least two different player counts');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - (intercept + slope * xs[i]!)) ** 2;
  return { slope, intercept, r2: syy === 0 ? 1 : 1 - sse / syy, n };
}

/** Largest whole player count whose predicted bytes stay within `bytes`; null when memory does not grow with players. */
export function playersWithin(line: Line, bytes: number): number | null {
  if (!(line.slope > 0)) return null;
  return Math.max(0, Math.floor((bytes - line.intercept) / line.slope + 1e-9));
}

/**
 * Fits the four lines and applies the budget. headroom is a fraction (0.1 = keep 10% free).
 * Throws RangeError with fewer than two distinct player counts.
 */
export function fitCapacity(points: readonly PlanPoint[], budgetBytes: number, headroom: number): CapacityFit {
  const xs = points.map((p) => p.players);
  const lines = {
    peakRss: fitLine(
      xs,
      points.map((p) => p.peakRss),
    ),
    peakUnreclaimable: fitLine(
      xs,
      points.map((p) => p.peakUnreclaimable),
    ),
    settledRss: fitLine(
      xs,
      points.map((p) => p.settledRss),
    ),
    settledUnreclaimable: fitLine(
      xs,
      points.map((p) => p.settledUnreclaimable),
    ),
  };
  const usableBytes = budgetBytes * (1 - headroom);
  const recommended = playersWithin(lines.peakRss, usableBytes);
  const largestMeasured = Math.max(...xs);
  let atRecommended: CapacityFit['atRecommended'] = null;
  if (recommended !== null) {
    const settledRss = predict(lines.settledRss, recommended);
    const settledNeeded = Math.min(settledRss, predict(lines.settledUnreclaimable, recommended));
    atRecommended = {
      peakRss: predict(lines.peakRss, recommended),
      settledRss,
      settledReclaimable: settledRss - settledNeeded,
      settledNeeded,
    };
  }
  return {
    usableBytes,
    lines,
    bytesPerPlayer: lines.peakRss.slope,
    baseBytes: lines.peakRss.intercept,
    recommended,
    // Rss - LazyFree never exceeds Rss, so where the two fitted lines cross by noise the Rss line bounds it.
    fitsIfReclaimed: maxOrNull(recommended, playersWithin(lines.peakUnreclaimable, usableBytes)),
    atRecommended,
    extrapolated: recommended !== null && recommended > largestMeasured * 1.5,
    largestMeasured,
  };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
