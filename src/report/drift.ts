// Drift: how fast memory grows while the load stays the same, in bytes per hour, with a 95% confidence
// interval. Ordinary least squares over the drift window; its standard error is widened for the correlation of
// neighbouring samples (a memory series is far from independent noise: with lag-1 autocorrelation r of the
// residuals, the effective sample count is n (1 - r) / (1 + r)). docs/report.md ("Drift") is the reference. Pure.

import type { Sample } from '../results/sample.js';
import type { PhaseSpan } from './phases.js';

export const MS_PER_HOUR = 3_600_000;
/** Fewer samples than this in the window: no slope. */
export const MIN_DRIFT_SAMPLES = 10;
/** Without `record.warmup`, this share of the window's start is left out. */
export const DEFAULT_WARMUP_SHARE = 0.25;

export interface Slope {
  /** Bytes per hour. */
  perHour: number;
  /** 95% confidence interval, bytes per hour; null when too few effectively independent samples remain. */
  low: number | null;
  high: number | null;
  /** Standard error after the autocorrelation correction, bytes per hour. */
  stdError: number | null;
  /** Lag-1 autocorrelation of the residuals, and the effective sample count it leaves. */
  lag1: number;
  effectiveSamples: number;
}

export interface DriftSummary {
  /** The window: samples from `fromMs` to `toMs` (ms since the server started). */
  fromMs: number;
  toMs: number;
  samples: number;
  /** Where the window is: the final hold after its warm-up, or (no phases) the whole recording after it. */
  window: 'final-hold' | 'whole';
  warmupMs: number;
  rss: Slope;
  /** jemalloc's allocated; null without allocator stats. */
  allocated: Slope | null;
}

/** Least squares slope of y on x with its standard error (autocorrelation-corrected) and 95% interval. */
export function fitSlope(x: number[], y: number[]): Slope | null {
  const n = x.length;
  if (n < 3 || y.length !== n) return null;
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  const a = my - b * mx;
  const e = x.map((xi, i) => y[i]! - (a + b * xi));
  const see = e.reduce((s, r) => s + r * r, 0);
  let lagged = 0;
  for (let i = 1; i < n; i++) lagged += e[i]! * e[i - 1]!;
  const r = see > 0 ? Math.max(0, Math.min(0.99, lagged / see)) : 0;
  const nEff = (n * (1 - r)) / (1 + r);
  if (nEff <= 3) return { perHour: b, low: null, high: null, stdError: null, lag1: r, effectiveSamples: nEff };
  // Residual variance over n - 2, the slope's variance over sxx, scaled up for the samples that are not independent.
  const se = Math.sqrt(see / (n - 2) / sxx) * Math.sqrt((n - 2) / (nEff - 2));
  const t = tQuantile975(nEff - 2);
  return { perHour: b, low: b - t * se, high: b + t * se, stdError: se, lag1: r, effectiveSamples: nEff };
}

/**
 * The drift window: the final hold (`hold` = the summary's final-hold span) after `warmupMs` of it (default a
 * quarter); without a final hold, every sample after the first quarter of the recording.
 */
export function driftSummary(samples: Sample[], hold: PhaseSpan | null, warmupMs: number | undefined): DriftSummary | null {
  const from = hold ? hold.fromMs : samples[0]?.t;
  const to = hold ? hold.toMs : samples.at(-1)?.t;
  if (from === undefined || to === undefined) return null;
  const warmup = warmupMs ?? Math.round((to - from) * DEFAULT_WARMUP_SHARE);
  const win = (hold ? hold.samples : samples).filter((s) => s.t >= from + warmup && s.t <= to);
  if (win.length < MIN_DRIFT_SAMPLES) return null;
  const hours = win.map((s) => s.t / MS_PER_HOUR);
  const rss = fitSlope(hours, win.map((s) => s.proc.rss));
  if (!rss) return null;
  const withAlloc = win.filter((s) => s.alloc !== null);
  const allocated =
    withAlloc.length >= MIN_DRIFT_SAMPLES ? fitSlope(withAlloc.map((s) => s.t / MS_PER_HOUR), withAlloc.map((s) => s.alloc!.allocated)) : null;
  return { fromMs: win[0]!.t, toMs: win.at(-1)!.t, samples: win.length, window: hold ? 'final-hold' : 'whole', warmupMs: warmup, rss, allocated };
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** Student's t 97.5% quantile for `df` (> 0, not necessarily whole) degrees of freedom: bisection on the CDF. */
export function tQuantile975(df: number): number {
  let lo = 0;
  let hi = 64; // the 97.5% quantile is 12.7 at df = 1 and falls with df
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tMass(mid, df) < 0.475) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(0 < T < t) for Student's t: Simpson's rule over the density. */
function tMass(t: number, df: number): number {
  const norm = Math.exp(lnGamma((df + 1) / 2) - lnGamma(df / 2)) / Math.sqrt(df * Math.PI);
  const f = (x: number) => norm * (1 + (x * x) / df) ** (-(df + 1) / 2);
  const steps = 2000;
  const h = t / steps;
  let sum = f(0) + f(t);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * f(i * h);
  return (sum * h) / 3;
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}
