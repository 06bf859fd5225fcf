// What counts as a change in `simload compare`: each metric's noise floor, about 1.5 times the spread (highest
// minus lowest) of 20 identical runs of scenarios/nightly.yaml on a quiet machine (docs/measurements.md, "Nightly
// comparison noise"), and whether the metric decides the verdict or is shown for information. A change decides
// only when it is beyond both the floor and the relative tolerance. Pure.
//   bytes    an absolute floor (MiB, or bytes per player) beside the relative tolerance
//   shares   percentage points (a share near 0 moves by more than 10% of itself between identical runs)
//   times    at least two sample intervals and the measured spread; "never" lies beyond what the run could see
//            after the ramp-down, and a time whose floor is that long informs only
//   latency  tails judged only with enough samples beyond them (10 in every phase); the maximum never decides
//   drift    slopes judged beyond their confidence intervals (combined half-widths), only in a soak window (the
//            scenario sets record.warmup) and where every run has an interval

import type { MetricName } from '../results/metrics.js';
import type { VariantSummary } from './summary.js';

export type Role = 'decides' | 'information';

interface Noise {
  /** Changes up to this, in the metric's unit, are noise. */
  absolute: number;
  /** Changes up to this share of the baseline are noise, whatever --tolerance says (0: only the tolerance). */
  relative: number;
  /** For times: the floor is at least this many sample intervals. */
  intervals?: number;
  /** For latency percentiles: the quantile, to require 10 samples beyond it. */
  quantile?: number;
  role: Role;
}

const MiB = 2 ** 20;
const SECOND = 1000;

export const NOISE: Record<MetricName, Noise> = {
  baseline_rss: { absolute: 8 * MiB, relative: 0, role: 'decides' },
  peak_rss: { absolute: 24 * MiB, relative: 0, role: 'decides' },
  settled_rss: { absolute: 24 * MiB, relative: 0, role: 'decides' },
  retention: { absolute: 0.12, relative: 0, role: 'decides' },
  lazyfree_share: { absolute: 0.06, relative: 0, role: 'decides' },
  dirty_share: { absolute: 0.05, relative: 0, role: 'decides' },
  unreclaimable_rss: { absolute: 24 * MiB, relative: 0, role: 'decides' },
  resident_per_allocated: { absolute: 0.1, relative: 0, role: 'decides' },
  bytes_per_player: { absolute: 8 * 1024, relative: 0, role: 'decides' },
  time_to_settle: { absolute: 20 * SECOND, relative: 0, intervals: 2, role: 'decides' },
  dirty_decay_time: { absolute: 12 * SECOND, relative: 0, intervals: 2, role: 'decides' },
  max_purge_gap: { absolute: 13 * SECOND, relative: 0, intervals: 2, role: 'decides' },
  p50: { absolute: 5, relative: 0.5, quantile: 0.5, role: 'decides' },
  p90: { absolute: 25, relative: 0.5, quantile: 0.9, role: 'decides' },
  p99: { absolute: 90, relative: 1, quantile: 0.99, role: 'decides' },
  p999: { absolute: 135, relative: 1, quantile: 0.999, role: 'decides' },
  max_latency: { absolute: 100, relative: 1, role: 'information' },
  messages_per_second: { absolute: 1, relative: 0.05, role: 'decides' },
  errors: { absolute: 0, relative: 0, role: 'decides' },
  // Soak metrics (scenarios with repeated cycles or a long hold): not measured for noise yet, the floors of
  // their units before floors were per metric.
  cycle_peak_ratio: { absolute: 0.05, relative: 0, role: 'decides' },
  reuse: { absolute: 0.03, relative: 0, role: 'decides' },
  kept_reuse: { absolute: 0.03, relative: 0, role: 'decides' },
  rss_slope: { absolute: MiB, relative: 0, role: 'decides' },
  allocated_slope: { absolute: MiB, relative: 0, role: 'decides' },
  // The low end of an interval and one service's slope carry no interval of their own to judge a change by.
  rss_slope_low: { absolute: MiB, relative: 0, role: 'information' },
  service_slope: { absolute: MiB, relative: 0, role: 'information' },
};

/** Samples beyond a percentile each phase must have before the percentile decides anything. */
export const TAIL_SAMPLES = 10;

export interface Judged {
  /** Changes up to this (in the metric's unit) are noise. */
  floor: number;
  role: Role;
  /** Why a deciding metric is only information in this comparison. */
  why?: string;
}

/** The floor and role of `metric` for these runs (all runs of both sides: the least informative one rules). */
export function judge(metric: MetricName, base: number, tolerance: number, runs: VariantSummary[]): Judged {
  const n = NOISE[metric];
  const scale = Number.isFinite(base) ? Math.abs(base) : 0;
  let floor = Math.max(n.absolute, Math.max(n.relative, tolerance) * scale);
  if (n.intervals !== undefined) {
    const interval = Math.max(0, ...runs.map((v) => (v.samples > 1 ? v.durationMs / (v.samples - 1) : 0)));
    floor = Math.max(floor, n.intervals * interval);
    // A time whose noise is as long as what the run could see after the ramp-down tells nothing about a change.
    const window = shortestWindowMs(metric, runs);
    if (window !== null && floor >= window)
      return {
        floor,
        role: 'information',
        why: `its noise floor is as long as the ${Math.round(window / SECOND)} s the run could see after the ramp-down`,
      };
  }
  if (metric === 'rss_slope' || metric === 'allocated_slope') {
    // A slope is as good as its confidence interval: two runs differ by noise within their half-widths.
    // Without a warm-up of its own the window is the end of an ordinary hold: what moves there is memory still
    // settling after the ramp-down (decay, the collector), not drift.
    if (runs.some((v) => v.drift && !v.drift.warmupGiven))
      return {
        floor,
        role: 'information',
        why: 'the scenario sets no record.warmup, so the final hold is no soak window',
      };
    const slopes = runs.map((v) => (metric === 'rss_slope' ? v.drift?.rss : v.drift?.allocated) ?? null);
    const halves = slopes.map((x) => (x && x.low !== null && x.high !== null ? (x.high - x.low) / 2 : null));
    if (halves.some((h) => h === null))
      return { floor, role: 'information', why: 'no confidence interval for the slope in every run' };
    floor = Math.max(floor, Math.hypot(...(halves as number[])));
  }
  if (n.quantile !== undefined) {
    const counts = runs.flatMap((v) =>
      Object.values(v.latency)
        .map((p) => p.count)
        .filter((c) => c > 0),
    );
    const fewest = counts.length > 0 ? Math.min(...counts) : 0;
    const needed = Math.ceil(TAIL_SAMPLES / (1 - n.quantile));
    if (fewest < needed)
      return { floor, role: 'information', why: `${fewest} samples in the smallest phase, ${needed} needed` };
  }
  return { floor, role: n.role };
}

/**
 * The longest time a run could have measured for a time metric: from the ramp-down's end to the end of what was
 * sampled after it. "Never" is only known to lie beyond this. null for other metrics or without a ramp-down.
 */
export function observableMs(metric: MetricName, v: VariantSummary): number | null {
  if (v.rampDownEndMs === null) return null;
  if (metric === 'time_to_settle') return v.settle ? v.settle.toMs - v.rampDownEndMs : null;
  if (metric === 'dirty_decay_time' || metric === 'max_purge_gap')
    return v.decay ? v.decay.endMs - v.rampDownEndMs : null;
  return null;
}

/** The shortest window of these runs (observableMs), or null when none has one. */
export function shortestWindowMs(metric: MetricName, runs: VariantSummary[]): number | null {
  const windows = runs.map((v) => observableMs(metric, v)).filter((w): w is number => w !== null);
  return windows.length > 0 ? Math.min(...windows) : null;
}
