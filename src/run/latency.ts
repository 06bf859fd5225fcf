// latency.json from the bots' merged histograms: per variant, per phase label (`0:ramp`), microseconds.

import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../results/layout.js';
import type { MergedPhase } from '../driver/bots/pool.js';

/** Phase label -> how long the phase ran, ms (for messages per second). */
export type PhaseSpans = Record<string, number>;

export function latencySummaries(
  phases: Record<string, MergedPhase>,
  spans: PhaseSpans,
): Record<string, LatencySummary> {
  const out: Record<string, LatencySummary> = {};
  for (const [label, p] of Object.entries(phases)) {
    // Phases with no traffic at all (the baseline) say nothing about latency.
    if (p.sent === 0 && p.errors === 0 && p.connectFailures === 0) continue;
    const h = p.histogram;
    const empty = h.totalCount === 0;
    const ms = spans[label] ?? 0;
    out[label] = {
      count: h.totalCount,
      p50: empty ? 0 : h.getValueAtPercentile(50),
      p90: empty ? 0 : h.getValueAtPercentile(90),
      p99: empty ? 0 : h.getValueAtPercentile(99),
      p999: empty ? 0 : h.getValueAtPercentile(99.9),
      max: empty ? 0 : h.maxValue,
      mean: empty ? 0 : h.mean,
      rate: ms > 0 ? p.answered / (ms / 1000) : 0,
      errors: p.errors,
      connectFailures: p.connectFailures,
      histogram: hdr.encodeIntoCompressedBase64(h),
    };
  }
  return out;
}
