// The metric catalogue: every metric of summary.json a user can name (`expect:` rules, `simload compare`),
// with its unit and which way is worse. One list, read by scenario validation (parsing `expect:` values) and
// by the report (which adds how each is read from a summary: analysis/metrics.ts). Pure data.

export type MetricUnit = 'bytes' | 'fraction' | 'ratio' | 'ms' | 'count' | 'rate' | 'bytes_per_hour';
/** Which way is worse, for compare: `higher` means a higher value is a regression. */
export type Worse = 'higher' | 'lower' | 'neither';

export interface MetricInfo {
  /** Name in `expect:` rules and compare output. */
  name: string;
  label: string;
  unit: MetricUnit;
  worse: Worse;
  /** How Infinity reads for this metric (default `never`). */
  never?: string;
}

export const METRIC_CATALOGUE = [
  { name: 'baseline_rss', label: 'baseline Rss', unit: 'bytes', worse: 'higher' },
  { name: 'peak_rss', label: 'peak Rss', unit: 'bytes', worse: 'higher' },
  { name: 'settled_rss', label: 'settled Rss', unit: 'bytes', worse: 'higher' },
  { name: 'retention', label: 'retention', unit: 'fraction', worse: 'higher' },
  { name: 'lazyfree_share', label: 'LazyFree share', unit: 'fraction', worse: 'higher' },
  { name: 'dirty_share', label: 'dirty share', unit: 'fraction', worse: 'higher' },
  { name: 'unreclaimable_rss', label: 'unreclaimable Rss', unit: 'bytes', worse: 'higher' },
  { name: 'resident_per_allocated', label: 'resident/allocated', unit: 'ratio', worse: 'higher' },
  { name: 'bytes_per_player', label: 'bytes/player (peak)', unit: 'bytes', worse: 'higher' },
  { name: 'time_to_settle', label: 'time to settle', unit: 'ms', worse: 'higher', never: 'never settled' },
  { name: 'dirty_decay_time', label: 'dirty decay time', unit: 'ms', worse: 'higher' },
  { name: 'max_purge_gap', label: 'max purge gap (final hold)', unit: 'ms', worse: 'higher' },
  { name: 'p50', label: 'latency p50', unit: 'ms', worse: 'higher' },
  { name: 'p90', label: 'latency p90', unit: 'ms', worse: 'higher' },
  { name: 'p99', label: 'latency p99', unit: 'ms', worse: 'higher' },
  { name: 'p999', label: 'latency p99.9', unit: 'ms', worse: 'higher' },
  { name: 'max_latency', label: 'latency max', unit: 'ms', worse: 'higher' },
  { name: 'messages_per_second', label: 'messages/s', unit: 'rate', worse: 'lower' },
  { name: 'errors', label: 'errors', unit: 'count', worse: 'higher' },
  { name: 'cycle_peak_ratio', label: 'later peak / first peak', unit: 'ratio', worse: 'higher' },
  { name: 'reuse', label: 'reuse (lowest cycle)', unit: 'fraction', worse: 'lower' },
  { name: 'kept_reuse', label: 'kept memory reused (lowest cycle)', unit: 'fraction', worse: 'lower' },
  { name: 'rss_slope', label: 'Rss drift', unit: 'bytes_per_hour', worse: 'higher' },
  { name: 'rss_slope_low', label: 'Rss drift, low end of 95%', unit: 'bytes_per_hour', worse: 'higher' },
  { name: 'allocated_slope', label: 'allocated drift', unit: 'bytes_per_hour', worse: 'higher' },
  { name: 'service_slope', label: 'fastest growing service', unit: 'bytes_per_hour', worse: 'higher' },
] as const satisfies readonly MetricInfo[];

export type MetricName = (typeof METRIC_CATALOGUE)[number]['name'];

/** Metric names an `expect:` rule may use. */
export const METRIC_NAMES: readonly string[] = METRIC_CATALOGUE.map((m) => m.name);

/** Names of summary v1, still accepted in `expect:` rules (old run folders keep rendering). */
export const METRIC_ALIASES: Readonly<Record<string, MetricName>> = { fragmentation: 'resident_per_allocated' };

/** The catalogue entry for a name or an alias. */
export function metricInfo(name: string): MetricInfo | undefined {
  const real = METRIC_ALIASES[name] ?? name;
  return METRIC_CATALOGUE.find((m) => m.name === real);
}
