// How each metric is read and shown: the catalogue (results/metrics.ts) with its getters, shared by the console
// table, the HTML report, compare and `expect:` checks. Pure.

import { formatBytes, formatDuration } from '../units.js';
import { dirtyDecayMetric } from './decay.js';
import { METRIC_CATALOGUE, metricInfo, type MetricInfo, type MetricName, type MetricUnit } from '../results/metrics.js';
import type { VariantSummary } from './summary.js';

export interface MetricDef extends MetricInfo {
  get: (v: VariantSummary) => number | null;
  /** Why the metric does not apply to this run (nothing happened that it times), or null when it does. */
  notApplicable: (v: VariantSummary) => string | null;
}

/** Metrics that can be "not applicable": no threshold fails and compare judges nothing on them. */
const NOT_APPLICABLE: Partial<Record<MetricName, (v: VariantSummary) => string | null>> = {
  time_to_settle: (v) => (v.settleState === 'not-applicable' ? 'Rss never grew, so there was nothing to give back' : null),
};

/** How each metric of the catalogue (results/metrics.ts) is read from a variant's summary. */
const GETTERS: Record<MetricName, (v: VariantSummary) => number | null> = {
  baseline_rss: (v) => v.baselineRss,
  peak_rss: (v) => v.peakRss,
  settled_rss: (v) => v.settledRss,
  retention: (v) => v.retention,
  lazyfree_share: (v) => v.lazyFreeShare,
  dirty_share: (v) => v.dirtyShare,
  unreclaimable_rss: (v) => v.unreclaimableRss,
  resident_per_allocated: (v) => v.residentPerAllocated,
  bytes_per_player: (v) => v.bytesPerPlayer,
  time_to_settle: (v) => (v.settleState === 'never' ? Infinity : v.timeToSettleMs),
  dirty_decay_time: (v) => dirtyDecayMetric(v.decay),
  max_purge_gap: (v) => v.decay?.maxPurgeGapMs ?? null,
  p50: (v) => v.worstLatency?.p50 ?? null,
  p90: (v) => v.worstLatency?.p90 ?? null,
  p99: (v) => v.worstLatency?.p99 ?? null,
  p999: (v) => v.worstLatency?.p999 ?? null,
  max_latency: (v) => v.worstLatency?.max ?? null,
  messages_per_second: (v) => v.messagesPerSecond,
  errors: (v) => v.errors,
  cycle_peak_ratio: (v) => v.cycles?.peakRatio ?? null,
  reuse: (v) => v.cycles?.reuse ?? null,
  kept_reuse: (v) => v.cycles?.keptReuse ?? null,
  rss_slope: (v) => v.drift?.rss.perHour ?? null,
  rss_slope_low: (v) => v.drift?.rss.low ?? null,
  allocated_slope: (v) => v.drift?.allocated?.perHour ?? null,
  service_slope: (v) => v.drift?.services?.[0]?.perHour ?? null,
};

export const METRICS: MetricDef[] = METRIC_CATALOGUE.map((m) => ({ ...m, get: GETTERS[m.name], notApplicable: NOT_APPLICABLE[m.name] ?? (() => null) }));

export function metricDef(name: string): MetricDef | undefined {
  const info = metricInfo(name);
  return info && METRICS.find((m) => m.name === info.name);
}

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
