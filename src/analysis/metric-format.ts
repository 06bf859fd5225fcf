// How each metric is shown: its value in its unit, `never` and `n/a` where they apply. Shared by the console
// table, the HTML report, compare and `expect:` checks (metrics.ts: how each is read). Pure.

import { formatBytes, formatDuration } from '../units.js';
import type { MetricUnit } from '../results/metrics.js';
import type { MetricDef } from './metrics.js';
import type { VariantSummary } from './summary.js';

/** A metric of one variant as shown in tables: `n/a` where it does not apply. */
export function showMetric(m: MetricDef, v: VariantSummary): string {
  return m.notApplicable(v) !== null ? 'n/a' : formatMetric(m.get(v), m.unit, m.never);
}

export function formatMetric(value: number | null, unit: MetricUnit, never = 'never'): string {
  if (value === Infinity && unit === 'ms') return never;
  if (value === null || !Number.isFinite(value)) return '-';
  switch (unit) {
    case 'bytes':
      return formatBytes(value);
    case 'fraction':
      return `${(value * 100).toFixed(1)}%`;
    case 'ratio':
      return `${value.toFixed(2)}x`;
    case 'ms':
      if (value === 0) return '0';
      if (value < 1000) return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)}ms`;
      return formatDuration(value);
    case 'count':
      return String(Math.round(value));
    case 'rate':
      return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
    case 'bytes_per_hour':
      return `${formatBytes(value)}/h`;
  }
}
