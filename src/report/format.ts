// How each metric is shown: one list shared by the console table, the HTML report and compare. Pure.

import { formatBytes, formatDuration } from '../units.js';
import { dirtyDecayMetric } from './decay.js';
import type { VariantSummary } from './summary.js';

export type MetricUnit = 'bytes' | 'fraction' | 'ratio' | 'ms' | 'count' | 'rate';
/** Which way is worse, for compare: `higher` means a higher value is a regression. */
export type Worse = 'higher' | 'lower' | 'neither';

export interface MetricDef {
  /** Name in `expect:` rules and compare output. */
  name: string;
  label: string;
  unit: MetricUnit;
  worse: Worse;
  get: (v: VariantSummary) => number | null;
  /** How Infinity reads for this metric (default `never`). */
  never?: string;
}

export const METRICS: MetricDef[] = [
  { name: 'baseline_rss', label: 'baseline Rss', unit: 'bytes', worse: 'higher', get: (v) => v.baselineRss },
  { name: 'peak_rss', label: 'peak Rss', unit: 'bytes', worse: 'higher', get: (v) => v.peakRss },
  { name: 'settled_rss', label: 'settled Rss', unit: 'bytes', worse: 'higher', get: (v) => v.settledRss },
  { name: 'retention', label: 'retention', unit: 'fraction', worse: 'higher', get: (v) => v.retention },
  { name: 'lazyfree_share', label: 'LazyFree share', unit: 'fraction', worse: 'higher', get: (v) => v.lazyFreeShare },
  { name: 'dirty_share', label: 'dirty share', unit: 'fraction', worse: 'higher', get: (v) => v.dirtyShare },
  { name: 'unreclaimable_rss', label: 'unreclaimable Rss', unit: 'bytes', worse: 'higher', get: (v) => v.unreclaimableRss },
  { name: 'resident_per_allocated', label: 'resident/allocated', unit: 'ratio', worse: 'higher', get: (v) => v.residentPerAllocated },
  { name: 'bytes_per_player', label: 'bytes/player (peak)', unit: 'bytes', worse: 'higher', get: (v) => v.bytesPerPlayer },
  { name: 'time_to_settle', label: 'time to settle', unit: 'ms', worse: 'higher', never: 'never settled', get: (v) => (v.settleState === 'never' ? Infinity : v.timeToSettleMs) },
  { name: 'dirty_decay_time', label: 'dirty decay time', unit: 'ms', worse: 'higher', get: (v) => dirtyDecayMetric(v.decay) },
  { name: 'max_purge_gap', label: 'max purge gap (final hold)', unit: 'ms', worse: 'higher', get: (v) => v.decay?.maxPurgeGapMs ?? null },
  { name: 'p50', label: 'latency p50', unit: 'ms', worse: 'higher', get: (v) => v.worstLatency?.p50 ?? null },
  { name: 'p90', label: 'latency p90', unit: 'ms', worse: 'higher', get: (v) => v.worstLatency?.p90 ?? null },
  { name: 'p99', label: 'latency p99', unit: 'ms', worse: 'higher', get: (v) => v.worstLatency?.p99 ?? null },
  { name: 'p999', label: 'latency p99.9', unit: 'ms', worse: 'higher', get: (v) => v.worstLatency?.p999 ?? null },
  { name: 'max_latency', label: 'latency max', unit: 'ms', worse: 'higher', get: (v) => v.worstLatency?.max ?? null },
  { name: 'messages_per_second', label: 'messages/s', unit: 'rate', worse: 'lower', get: (v) => v.messagesPerSecond },
  { name: 'errors', label: 'errors', unit: 'count', worse: 'higher', get: (v) => v.errors },
];

/** Names of summary v1, still accepted in `expect:` rules (old run folders keep rendering). */
export const METRIC_ALIASES: Record<string, string> = { fragmentation: 'resident_per_allocated' };

export function metricDef(name: string): MetricDef | undefined {
  const real = METRIC_ALIASES[name] ?? name;
  return METRICS.find((m) => m.name === real);
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
  }
}
