// `simload compare`'s console text: a table per variant, which metrics decide, then the verdict (analysis/compare.ts
// judges). Pure.

import { showFloor, showRelative, showValue, type Comparison, type MetricDelta } from '../analysis/compare.js';
import { formatMetric } from '../analysis/metric-format.js';
import { METRICS } from '../analysis/metrics.js';

/** The console text: a table per variant, which metrics decide, then the verdict. Pure. */
export function formatComparison(c: Comparison, labels: { baseline: string; candidate: string }): string {
  const out: string[] = [
    `simload compare (tolerance ${(c.tolerance * 100).toFixed(0)}%, and each metric's noise floor)`,
    `  baseline:  ${labels.baseline}`,
    `  candidate: ${labels.candidate}`,
  ];
  for (const v of c.variants) {
    out.push('');
    if (v.presence !== 'both') {
      out.push(`${v.variant}: only in the ${v.presence === 'baseline-only' ? 'baseline' : 'candidate'}`);
      continue;
    }
    const head = ['metric', 'baseline', 'candidate', 'delta', '', 'noise floor', 'role', ''];
    const rows = [
      head,
      ...v.metrics.map((d) => [
        d.label,
        showValue(d.baseline, d),
        showValue(d.candidate, d),
        fmtDelta(d),
        showRelative(d.relative),
        showFloor(d),
        d.role === 'decides' && d.verdict !== 'n/a' ? 'decides' : 'info',
        mark(d),
      ]),
    ];
    const w = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    const many =
      v.runs.baseline > 1 || v.runs.candidate > 1
        ? ` (medians of ${v.runs.baseline} and ${v.runs.candidate} runs)`
        : '';
    out.push(`${v.variant}:${many}`);
    for (const r of rows)
      out.push(
        '  ' +
          r
            .map((cell, i) => (i === 0 ? cell.padEnd(w[i]!) : cell.padStart(w[i]!)))
            .join('  ')
            .trimEnd(),
      );
    const info = v.metrics.filter((d) => d.why);
    if (info.length > 0) out.push(...info.map((d) => `  ${d.label}: information only, ${d.why}`));
  }
  out.push('');
  const deciding = METRICS.filter((m) =>
    c.variants.some((v) => v.metrics.some((d) => d.metric === m.name && d.role === 'decides' && d.verdict !== 'n/a')),
  );
  out.push(`decide the verdict: ${deciding.map((m) => m.name).join(', ')}; the others are shown for information`);
  out.push(
    c.regressions.length
      ? `WORSE: ${c.regressions.length} regression(s)\n${c.regressions.map((r) => `  ${r}`).join('\n')}`
      : 'ok: no deciding metric worse beyond its noise floor',
  );
  return out.join('\n') + '\n';
}

function fmtDelta(d: MetricDelta): string {
  if (d.delta === null) return '-';
  const s = d.unit === 'fraction' ? `${(d.delta * 100).toFixed(1)}pt` : formatMetric(Math.abs(d.delta), d.unit);
  return d.delta > 0 && !s.startsWith('-') ? `+${s}` : d.delta < 0 && d.unit !== 'fraction' ? `-${s}` : s;
}

function mark(d: MetricDelta): string {
  switch (d.verdict) {
    case 'worse':
      return 'WORSE';
    case 'worse-within-tolerance':
      return d.role === 'decides' ? 'worse (within noise)' : 'worse (information)';
    case 'better':
      return 'better';
    case 'missing':
      return 'MISSING';
    default:
      return '';
  }
}
