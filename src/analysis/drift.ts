// Drift: how fast memory grows while the load stays the same, in bytes per hour, with a 95% confidence
// interval. The slope is ordinary least squares over the drift window. Its interval comes from batch means: a
// memory series is far from independent noise (Lua's collector and jemalloc's decay make steps and saw teeth
// many samples long), so the window is cut into BATCHES runs of consecutive samples whose means are close to
// independent, and the slope's standard error is that of the least squares line through the batch means.
// docs/report.md ("Drift") is the reference. Pure.

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
  /** 95% confidence interval, bytes per hour (batch means; null with fewer than BATCHES samples). */
  low: number | null;
  high: number | null;
  /** Standard error of the slope from the batch means, bytes per hour. */
  stdError: number | null;
  /** Lag-1 autocorrelation of the residuals: how far the samples are from independent (for the reader). */
  lag1: number;
  batches: number;
}

/** Batches of consecutive samples the interval is computed from (nonoverlapping batch means). */
export const BATCHES = 10;

export interface DriftSummary {
  /** The window: samples from `fromMs` to `toMs` (ms since the server started). */
  fromMs: number;
  toMs: number;
  samples: number;
  /** Where the window is: the final hold after its warm-up, or (no phases) the whole recording after it. */
  window: 'final-hold' | 'whole';
  warmupMs: number;
  /** The scenario set `record.warmup`: it asked for a drift window (a soak), not the default share of a hold. */
  warmupGiven: boolean;
  rss: Slope;
  /** jemalloc's allocated; null without allocator stats. */
  allocated: Slope | null;
  /**
   * A watched skynet's Lua services (`mem`, from the top list of each sample), fastest growing first, at most
   * TOP_SERVICES: each service seen in at least SERVICE_COVERAGE of the window's samples. Absent otherwise.
   */
  services?: ServiceSlope[];
}

export interface ServiceSlope extends Slope {
  address: string;
  name: string;
  samples: number;
}

export const TOP_SERVICES = 10;
/** A service is fitted when it is in the top list of at least this share of the window's samples. */
export const SERVICE_COVERAGE = 0.8;

/** Least squares slope of y on x, and its 95% interval from BATCHES batch means. */
export function fitSlope(x: number[], y: number[]): Slope | null {
  const n = x.length;
  if (n < 3 || y.length !== n) return null;
  const line = leastSquares(x, y);
  if (!line) return null;
  const e = x.map((xi, i) => y[i]! - (line.a + line.b * xi));
  const see = e.reduce((acc, r) => acc + r * r, 0);
  let lagged = 0;
  for (let i = 1; i < n; i++) lagged += e[i]! * e[i - 1]!;
  const lag1 = see > 0 ? lagged / see : 0;
  const none = { perHour: line.b, low: null, high: null, stdError: null, lag1, batches: 0 };
  if (n < BATCHES) return none;
  const bx: number[] = [];
  const by: number[] = [];
  for (let k = 0; k < BATCHES; k++) {
    const from = Math.floor((k * n) / BATCHES);
    const to = Math.floor(((k + 1) * n) / BATCHES);
    bx.push(mean(x.slice(from, to)));
    by.push(mean(y.slice(from, to)));
  }
  const batch = leastSquares(bx, by);
  if (!batch) return none;
  const t = tQuantile975(BATCHES - 2);
  return {
    perHour: line.b,
    low: line.b - t * batch.se,
    high: line.b + t * batch.se,
    stdError: batch.se,
    lag1,
    batches: BATCHES,
  };
}

function leastSquares(x: number[], y: number[]): { a: number; b: number; se: number } | null {
  const n = x.length;
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
  let see = 0;
  for (let i = 0; i < n; i++) see += (y[i]! - (a + b * x[i]!)) ** 2;
  return { a, b, se: Math.sqrt(see / (n - 2) / sxx) };
}

/**
 * The drift window: the final hold (`hold` = the summary's final-hold span) after `warmupMs` of it (default a
 * quarter); without a final hold, every sample after the first quarter of the recording.
 */
export function driftSummary(
  samples: Sample[],
  hold: PhaseSpan | null,
  warmupMs: number | undefined,
): DriftSummary | null {
  const from = hold ? hold.fromMs : samples[0]?.t;
  const to = hold ? hold.toMs : samples.at(-1)?.t;
  if (from === undefined || to === undefined) return null;
  const warmup = warmupMs ?? Math.round((to - from) * DEFAULT_WARMUP_SHARE);
  const win = (hold ? hold.samples : samples).filter((s) => s.t >= from + warmup && s.t <= to);
  if (win.length < MIN_DRIFT_SAMPLES) return null;
  const hours = win.map((s) => s.t / MS_PER_HOUR);
  const rss = fitSlope(
    hours,
    win.map((s) => s.proc.rss),
  );
  if (!rss) return null;
  const withAlloc = win.filter((s) => s.alloc !== null);
  const allocated =
    withAlloc.length >= MIN_DRIFT_SAMPLES
      ? fitSlope(
          withAlloc.map((s) => s.t / MS_PER_HOUR),
          withAlloc.map((s) => s.alloc!.allocated),
        )
      : null;
  const services = serviceSlopes(win);
  return {
    fromMs: win[0]!.t,
    toMs: win.at(-1)!.t,
    samples: win.length,
    window: hold ? 'final-hold' : 'whole',
    warmupMs: warmup,
    warmupGiven: warmupMs !== undefined,
    rss,
    allocated,
    ...(services ? { services } : {}),
  };
}

/** Per Lua service of a watched skynet (the samples' top lists): its slope, fastest growing first. */
export function serviceSlopes(win: Sample[]): ServiceSlope[] | undefined {
  const withTop = win.filter((s) => s.skynet && s.skynet.top.length > 0);
  if (withTop.length < MIN_DRIFT_SAMPLES) return undefined;
  const series = new Map<string, { name: string; x: number[]; y: number[] }>();
  for (const s of withTop) {
    for (const svc of s.skynet!.top) {
      let one = series.get(svc.address);
      if (!one) series.set(svc.address, (one = { name: svc.name, x: [], y: [] }));
      one.x.push(s.t / MS_PER_HOUR);
      one.y.push(svc.bytes);
    }
  }
  const out: ServiceSlope[] = [];
  for (const [address, one] of series) {
    if (one.x.length < Math.max(MIN_DRIFT_SAMPLES, SERVICE_COVERAGE * withTop.length)) continue;
    const fit = fitSlope(one.x, one.y);
    if (fit) out.push({ address, name: one.name, samples: one.x.length, ...fit });
  }
  out.sort((a, b) => b.perHour - a.perHour);
  return out.slice(0, TOP_SERVICES);
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
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}
