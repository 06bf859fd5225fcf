// Two summaries side by side: every metric's delta per variant, and whether the candidate is worse beyond a
// tolerance. "Worse" follows each metric's direction (format.ts: higher Rss, retention, latency, errors are
// worse; fewer messages/s is worse). A change counts only when it passes both the relative tolerance and a
// small absolute noise floor, so 0.1% -> 0.2% LazyFree is not a 100% regression. Pure.

import type { MetricUnit } from '../results/metrics.js';
import { METRICS, formatMetric, metricDef, type MetricDef } from './format.js';
import type { Summary } from './summary.js';

/** Changes smaller than this (absolute, in the metric's unit) are noise, whatever their relative size. */
export const NOISE_FLOOR: Record<MetricUnit, number> = {
  bytes: 1024 * 1024,
  fraction: 0.01,
  ratio: 0.05,
  ms: 0.5,
  count: 0,
  rate: 1,
  bytes_per_hour: 1024 * 1024,
};
/** Time to settle is measured in sample intervals: under a second is noise. */
const FLOOR_BY_METRIC: Record<string, number> = { time_to_settle: 1000, dirty_decay_time: 1000, max_purge_gap: 1000 };

export type Verdict = 'same' | 'better' | 'worse' | 'worse-within-tolerance' | 'missing' | 'new' | 'n/a';

export interface MetricDelta {
  metric: string;
  label: string;
  unit: MetricUnit;
  baseline: number | null;
  candidate: number | null;
  delta: number | null;
  /** delta / |baseline|; null when the baseline is 0 or missing. */
  relative: number | null;
  verdict: Verdict;
}

export interface VariantComparison {
  variant: string;
  /** present in both, or only in one of them */
  presence: 'both' | 'baseline-only' | 'candidate-only';
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

export function compareSummaries(baseline: Summary, candidate: Summary, tolerance: number): Comparison {
  const names = [...new Set([...baseline.variants.map((v) => v.variant), ...candidate.variants.map((v) => v.variant)])];
  const variants: VariantComparison[] = [];
  const regressions: string[] = [];
  // An invalid run measured some other load: comparing against it or with it proves nothing.
  for (const [side, sum] of [['baseline', baseline], ['candidate', candidate]] as const) {
    if (sum.valid === false) regressions.push(`the ${side} is an INVALID run: ${(sum.invalid ?? []).join('; ')}`);
  }
  for (const name of names) {
    const b = baseline.variants.find((v) => v.variant === name);
    const c = candidate.variants.find((v) => v.variant === name);
    if (!c) {
      variants.push({ variant: name, presence: 'baseline-only', metrics: [] });
      regressions.push(`${name}: missing from the candidate`);
      continue;
    }
    if (!b) {
      variants.push({ variant: name, presence: 'candidate-only', metrics: [] });
      continue;
    }
    const metrics = METRICS.map((m) => deltaOf(m, m.get(b), m.get(c), tolerance));
    for (const d of metrics) {
      if (d.verdict === 'worse') regressions.push(`${name}: ${d.label} ${fmt(d.baseline, d)} -> ${fmt(d.candidate, d)}${d.relative === null ? '' : ` (${pct(d.relative)}, tolerance ${(tolerance * 100).toFixed(0)}%)`}`);
      if (d.verdict === 'missing') regressions.push(`${name}: ${d.label} was ${fmt(d.baseline, d)}, not measured in the candidate`);
    }
    variants.push({ variant: name, presence: 'both', metrics });
  }
  const invalid = ([['baseline', baseline], ['candidate', candidate]] as const).filter(([, x]) => x.valid === false).map(([side]) => side);
  return { tolerance, invalid, variants, regressions };
}

export function deltaOf(m: MetricDef, base: number | null, cand: number | null, tolerance: number): MetricDelta {
  const out = { metric: m.name, label: m.label, unit: m.unit, baseline: base, candidate: cand };
  if (base === null && cand === null) return { ...out, delta: null, relative: null, verdict: 'n/a' };
  if (cand === null) return { ...out, delta: null, relative: null, verdict: m.worse === 'neither' ? 'n/a' : 'missing' };
  if (base === null) return { ...out, delta: null, relative: null, verdict: 'new' };
  // Never settled (Infinity) is worse than any time; both never settled is the same.
  if (base === Infinity || cand === Infinity) {
    const verdict: Verdict = base === cand ? 'same' : cand === Infinity ? 'worse' : 'better';
    return { ...out, delta: null, relative: null, verdict };
  }
  const delta = cand - base;
  const relative = base !== 0 ? delta / Math.abs(base) : null;
  const floor = FLOOR_BY_METRIC[m.name] ?? NOISE_FLOOR[m.unit];
  if (delta === 0 || Math.abs(delta) <= floor || m.worse === 'neither') return { ...out, delta, relative, verdict: 'same' };
  const isWorse = m.worse === 'higher' ? delta > 0 : delta < 0;
  if (!isWorse) return { ...out, delta, relative, verdict: 'better' };
  const beyond = relative === null || Math.abs(relative) > tolerance;
  return { ...out, delta, relative, verdict: beyond ? 'worse' : 'worse-within-tolerance' };
}

/** The console text: a table per variant, then the verdict. Pure. */
export function formatComparison(c: Comparison, labels: { baseline: string; candidate: string }): string {
  const out: string[] = [`simload compare (tolerance ${(c.tolerance * 100).toFixed(0)}%)`, `  baseline:  ${labels.baseline}`, `  candidate: ${labels.candidate}`];
  for (const v of c.variants) {
    out.push('');
    if (v.presence !== 'both') {
      out.push(`${v.variant}: only in the ${v.presence === 'baseline-only' ? 'baseline' : 'candidate'}`);
      continue;
    }
    const rows = [['metric', 'baseline', 'candidate', 'delta', '', ''], ...v.metrics.map((d) => [d.label, fmt(d.baseline, d), fmt(d.candidate, d), fmtDelta(d), pct(d.relative), mark(d)])];
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    out.push(`${v.variant}:`);
    for (const r of rows) out.push('  ' + r.map((cell, i) => (i === 0 ? cell.padEnd(w[i]!) : cell.padStart(w[i]!))).join('  ').trimEnd());
  }
  out.push('');
  out.push(c.regressions.length ? `WORSE: ${c.regressions.length} regression(s)\n${c.regressions.map((r) => `  ${r}`).join('\n')}` : 'ok: no metric worse beyond tolerance');
  return out.join('\n') + '\n';
}

function fmt(v: number | null, d: MetricDelta): string {
  return formatMetric(v, d.unit, metricDef(d.metric)?.never);
}

function fmtDelta(d: MetricDelta): string {
  if (d.delta === null) return '-';
  const s = d.unit === 'fraction' ? `${(d.delta * 100).toFixed(1)}pt` : formatMetric(Math.abs(d.delta), d.unit);
  return d.delta > 0 && !s.startsWith('-') ? `+${s}` : d.delta < 0 && d.unit !== 'fraction' ? `-${s}` : s;
}

function pct(r: number | null): string {
  if (r === null) return '';
  return `${r > 0 ? '+' : ''}${(r * 100).toFixed(1)}%`;
}

function mark(d: MetricDelta): string {
  switch (d.verdict) {
    case 'worse':
      return 'WORSE';
    case 'worse-within-tolerance':
      return 'worse (within tolerance)';
    case 'better':
      return 'better';
    case 'missing':
      return 'MISSING';
    default:
      return '';
  }
}
