// The load side of a run's summary: latency per phase and at worst (from latency.json, in ms), messages answered
// per second and errors, with the server's own counters when there is no latency.json. Pure.

import type { LatencySummary, RunEvent } from '../results/layout.js';
import type { Sample } from '../results/sample.js';

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface PhaseLatency extends LatencyMs {
  count: number;
  mean: number;
  /** Messages answered per second during the phase. */
  rate: number;
  errors: number;
  connectFailures: number;
}

const US_PER_MS = 1000;

export function latencyMs(l: Record<string, LatencySummary> | null): Record<string, PhaseLatency> {
  const out: Record<string, PhaseLatency> = {};
  for (const [label, p] of Object.entries(l ?? {})) {
    out[label] = {
      count: p.count,
      p50: p.p50 / US_PER_MS,
      p90: p.p90 / US_PER_MS,
      p99: p.p99 / US_PER_MS,
      p999: p.p999 / US_PER_MS,
      max: p.max / US_PER_MS,
      mean: p.mean / US_PER_MS,
      rate: p.rate,
      errors: p.errors,
      connectFailures: p.connectFailures,
    };
  }
  return out;
}

export function worstLatency(l: Record<string, LatencySummary> | null): LatencyMs | null {
  const phases = Object.values(l ?? {}).filter((p) => p.count > 0);
  if (phases.length === 0) return null;
  const worst = (k: keyof LatencyMs) => Math.max(...phases.map((p) => p[k])) / US_PER_MS;
  return { p50: worst('p50'), p90: worst('p90'), p99: worst('p99'), p999: worst('p999'), max: worst('max') };
}

/** Messages answered per second over all phases: sum of counts over the sum of phase durations (count / rate). */
export function messagesPerSecond(l: Record<string, LatencySummary> | null, samples: Sample[]): number | null {
  const phases = Object.values(l ?? {}).filter((p) => p.count > 0 && p.rate > 0);
  if (phases.length > 0) {
    const count = phases.reduce((a, p) => a + p.count, 0);
    const seconds = phases.reduce((a, p) => a + p.count / p.rate, 0);
    return count / seconds;
  }
  // Without latency.json: the server's own message counter over the phases.
  const counted = samples.filter((s) => s.server && s.phaseIndex >= 0);
  if (counted.length < 2) return null;
  const a = counted[0]!;
  const b = counted.at(-1)!;
  return b.t > a.t ? ((b.server!.messages - a.server!.messages) * 1000) / (b.t - a.t) : null;
}

export function errorCount(
  variant: string,
  l: Record<string, LatencySummary> | null,
  events: RunEvent[],
  samples: Sample[],
): number {
  const evErrors = events.filter((e) => e.type === 'error' && e.variant === variant).length;
  if (l) return Object.values(l).reduce((a, p) => a + p.errors + p.connectFailures, 0) + evErrors;
  const last = [...samples].reverse().find((s) => s.server);
  return (last?.server?.errors ?? 0) + evErrors;
}
