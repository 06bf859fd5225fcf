// The metric catalogue as the report reads it: each metric of results/metrics.ts with how it is read from a
// variant's summary and when it does not apply. Shared by the console table, the HTML report, compare and
// `expect:` checks (metric-format.ts shows the values). Pure.

import { METRIC_CATALOGUE, metricInfo, type MetricInfo, type MetricName } from '../results/metrics.js';
import { dirtyDecayMetric } from './decay.js';
import type { VariantSummary } from './summary.js';

export interface MetricDef extends MetricInfo {
  get: (v: VariantSummary) => number | null;
  /** Why the metric does not apply to this run (nothing happened that it times), or null when it does. */
  notApplicable: (v: VariantSummary) => string | null;
}

/** Metrics that can be "not applicable": no threshold fails and compare judges nothing on them. */
const NOT_APPLICABLE: Partial<Record<MetricName, (v: VariantSummary) => string | null>> = {
  time_to_settle: (v) =>
    v.settleState === 'not-applicable' ? 'Rss never grew, so there was nothing to give back' : null,
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

export const METRICS: MetricDef[] = METRIC_CATALOGUE.map((m) => ({
  ...m,
  get: GETTERS[m.name],
  notApplicable: NOT_APPLICABLE[m.name] ?? (() => null),
}));

export function metricDef(name: string): MetricDef | undefined {
  const info = metricInfo(name);
  return info && METRICS.find((m) => m.name === info.name);
}
