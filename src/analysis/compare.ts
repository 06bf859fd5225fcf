// Runs side by side: every metric's delta per variant, and whether the candidate is worse. With several runs per
// side each metric is the median of its runs. A change counts only when it is beyond the metric's noise floor
// and the relative tolerance (noise.ts), and only metrics that decide the verdict can make it a regression; the
// others are shown for information. "Worse" follows each metric's direction (results/metrics.ts). Pure;
// report/compare-text.ts draws the console table from it.

import type { MetricUnit, MetricName } from '../results/metrics.js';
import { verdictOf, type Verdict } from '../verdict.js';
import { formatMetric } from './metric-format.js';
import { METRICS, metricDef, type MetricDef } from './metrics.js';
import { judge, shortestWindowMs, type Role } from './noise.js';
import type { Summary, VariantSummary } from './summary.js';

/** How one metric changed from the baseline to the candidate (a metric's `verdict` in the JSON). */
export type Change = 'same' | 'better' | 'worse' | 'worse-within-tolerance' | 'missing' | 'new' | 'n/a';

export interface MetricDelta {
  metric: string;
  label: string;
  unit: MetricUnit;
  baseline: number | null;
  candidate: number | null;
  delta: number | null;
  /** delta / |baseline|; null when the baseline is 0 or missing. */
  relative: number | null;
  /** Changes up to this are noise (the metric's floor, or the tolerance of the baseline if larger). */
  floor: number | null;
  /** Whether this metric can make the comparison fail, and why not when a deciding metric cannot. */
  role: Role;
  why?: string;
  verdict: Change;
}

export interface VariantComparison {
  variant: string;
  /** present in both, or only in one of them */
  presence: 'both' | 'baseline-only' | 'candidate-only';
  /** Runs of this variant per side (the medians are over them). */
  runs: { baseline: number; candidate: number };
  metrics: MetricDelta[];
}

export interface Comparison {
  tolerance: number;
  /** Which side did not deliver its load (then the comparison cannot pass). */
  invalid: Array<'baseline' | 'candidate'>;
  variants: VariantComparison[];
  /** Human-readable reasons the candidate is worse; empty = no regression. */
  regressions: string[];
}

/** One run per side. */
export function compareSummaries(baseline: Summary, candidate: Summary, tolerance: number): Comparison {
  return compareRuns([baseline], [candidate], tolerance);
}

export function compareRuns(baselines: Summary[], candidates: Summary[], tolerance: number): Comparison {
  const all = [...baselines, ...candidates];
  const names = [...new Set(all.flatMap((s) => s.variants.map((v) => v.variant)))];
  const variants: VariantComparison[] = [];
  const regressions: string[] = [];
  const invalid = (
    [
      ['baseline', baselines],
      ['candidate', candidates],
    ] as const
  )
    .filter(([, runs]) => runs.some((x) => x.valid === false))
    .map(([side]) => side);
  // An invalid run measured some other load: comparing against it or with it proves nothing.
  for (const side of invalid) {
    const runs = side === 'baseline' ? baselines : candidates;
    const reasons = runs.flatMap((x) => (x.valid === false ? (x.invalid ?? []) : []));
    regressions.push(`the ${side} is an INVALID run: ${reasons.join('; ')}`);
  }
  for (const name of names) {
    const b = baselines.flatMap((s) => s.variants.filter((v) => v.variant === name));
    const c = candidates.flatMap((s) => s.variants.filter((v) => v.variant === name));
    const runs = { baseline: b.length, candidate: c.length };
    if (c.length === 0) {
      variants.push({ variant: name, presence: 'baseline-only', runs, metrics: [] });
      regressions.push(`${name}: missing from the candidate`);
      continue;
    }
    if (b.length === 0) {
      variants.push({ variant: name, presence: 'candidate-only', runs, metrics: [] });
      continue;
    }
    const metrics = METRICS.map((m) => metricDelta(m, b, c, tolerance));
    for (const d of metrics) {
      if (d.verdict === 'worse')
        regressions.push(
          `${name}: ${d.label} ${showValue(d.baseline, d)} -> ${showValue(d.candidate, d)}${d.relative === null ? '' : ` (${showRelative(d.relative)})`}, beyond its noise floor ${showFloor(d)}`,
        );
      if (d.verdict === 'missing')
        regressions.push(`${name}: ${d.label} was ${showValue(d.baseline, d)}, not measured in the candidate`);
    }
    variants.push({ variant: name, presence: 'both', runs, metrics });
  }
  return { tolerance, invalid, variants, regressions };
}

function metricDelta(m: MetricDef, b: VariantSummary[], c: VariantSummary[], tolerance: number): MetricDelta {
  const na = [...b, ...c].map((v) => m.notApplicable(v)).find((x) => x !== null);
  const base = middle(b.map((v) => m.get(v)));
  const cand = middle(c.map((v) => m.get(v)));
  const judged = judge(m.name as MetricName, base ?? 0, tolerance, [...b, ...c]);
  const d = deltaOf(m, base, cand, judged.floor, judged.role, {
    baseline: shortestWindowMs(m.name as MetricName, b),
    candidate: shortestWindowMs(m.name as MetricName, c),
  });
  if (na !== undefined) return { ...d, verdict: 'n/a', why: `not applicable: ${na}` };
  return judged.why ? { ...d, why: judged.why } : d;
}

/** The median of the measured values (the lower middle of an even count: Infinity stays exact); null if none. */
function middle(values: Array<number | null>): number | null {
  const xs = values.filter((x): x is number => x !== null && !Number.isNaN(x)).sort((p, q) => p - q);
  return xs.length === 0 ? null : xs[Math.floor((xs.length - 1) / 2)]!;
}

/** `windows`: for times, the longest each side could have measured ("never" is only known to lie beyond it). */
export function deltaOf(
  m: MetricDef,
  base: number | null,
  cand: number | null,
  floor: number,
  role: Role = 'decides',
  windows: { baseline: number | null; candidate: number | null } = { baseline: null, candidate: null },
): MetricDelta {
  const out = { metric: m.name, label: m.label, unit: m.unit, baseline: base, candidate: cand, floor, role };
  if (base === null && cand === null) return { ...out, delta: null, relative: null, verdict: 'n/a' };
  if (cand === null)
    return {
      ...out,
      delta: null,
      relative: null,
      verdict: m.worse === 'neither' || role === 'information' ? 'n/a' : 'missing',
    };
  if (base === null) return { ...out, delta: null, relative: null, verdict: 'new' };
  // Never (Infinity) is worse than any time; both never is the same. A run that saw W ms after the ramp-down and
  // never got there only says "beyond W": the change is beyond the floor when W itself is.
  if (base === Infinity || cand === Infinity) {
    const worse = cand === Infinity && base !== Infinity;
    const window = worse ? windows.candidate : windows.baseline;
    const beyond = window === null || window - (worse ? base : cand)! > floor;
    const verdict: Change =
      base === cand
        ? 'same'
        : !beyond
          ? worse
            ? 'worse-within-tolerance'
            : 'same'
          : worse
            ? role === 'decides'
              ? 'worse'
              : 'worse-within-tolerance'
            : 'better';
    return { ...out, delta: null, relative: null, verdict };
  }
  const delta = cand - base;
  const relative = base !== 0 ? delta / Math.abs(base) : null;
  if (delta === 0 || m.worse === 'neither') return { ...out, delta, relative, verdict: 'same' };
  const isWorse = m.worse === 'higher' ? delta > 0 : delta < 0;
  if (Math.abs(delta) <= floor)
    return { ...out, delta, relative, verdict: isWorse ? 'worse-within-tolerance' : 'same' };
  if (!isWorse) return { ...out, delta, relative, verdict: 'better' };
  return { ...out, delta, relative, verdict: role === 'decides' ? 'worse' : 'worse-within-tolerance' };
}

/** Invalid when a side holds an INVALID run, expect-failed when the candidate is worse (any regression), else ok. */
export function compareVerdict(c: Comparison): Verdict {
  return verdictOf(c.invalid.length > 0 ? 'invalid' : c.regressions.length > 0 ? 'expect-failed' : 'ok');
}

/** A metric's value as compare shows it (`never` where it applies). */
export function showValue(v: number | null, d: MetricDelta): string {
  return formatMetric(v, d.unit, metricDef(d.metric)?.never);
}

/** A relative change, signed, in percent; empty when there is none. */
export function showRelative(r: number | null): string {
  if (r === null) return '';
  return `${r > 0 ? '+' : ''}${(r * 100).toFixed(1)}%`;
}

/** The noise floor in the metric's unit (points for fractions). */
export function showFloor(d: MetricDelta): string {
  if (d.floor === null) return '-';
  return d.unit === 'fraction' ? `${(d.floor * 100).toFixed(1)}pt` : formatMetric(d.floor, d.unit);
}
