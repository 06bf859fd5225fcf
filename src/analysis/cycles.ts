// Cycles of a run with several peaks (a day-night pattern): each peak's Rss against the first, and reuse, how
// much of a later peak's growth fitted in memory kept from the cycle before. docs/report.md ("Cycles and
// reuse") defines every field; the definitions below are the reference. Pure.

import type { Sample } from '../results/sample.js';
import type { Scenario } from '../scenario/types.js';
import { lastTenth, median, type PhaseSpan } from './phases.js';
import { maxOf } from './extremes.js';

export interface Cycle {
  /** 1-based. */
  index: number;
  /** First and last phase of the cycle (indexes into the scenario's phases). */
  fromPhase: number;
  toPhase: number;
  peakRss: number;
  peakAtMs: number;
  peakOnline: number;
  /** This peak's Rss over the first cycle's. */
  peakRatio: number;
  /**
   * Median Rss and online players over the last tenth of the cycle's last phase, when the cycle ends below its
   * peak target (the low hold before the next climb); null otherwise.
   */
  trough: { rss: number; online: number; fromMs: number; toMs: number } | null;
  /** Later cycles only (null for the first, or without the previous trough): */
  /** Rss this peak added over the previous trough: peakRss - previous trough Rss. */
  growth: number | null;
  /** What the climb would have added with nothing kept: first-cycle bytes per player x players added. */
  need: number | null;
  /** Rss kept at the previous trough beyond its players' share: trough Rss - (baseline + bytes per player x trough online). */
  kept: number | null;
  /** 1 - growth / need, clamped to [0, 1]: the share of the climb that fitted in memory already resident. */
  reuse: number | null;
  /** (need - growth) / kept, clamped to [0, 1]: the share of what was kept that this peak used. */
  keptReuse: number | null;
}

export interface CycleSummary {
  cycles: Cycle[];
  /** (first peak Rss - baseline Rss) / first peak online: the yardstick of `need`. */
  bytesPerPlayer: number | null;
  /** Lowest reuse of the later cycles (what `reuse > 0.5` checks). */
  reuse: number | null;
  keptReuse: number | null;
  /** Highest peakRatio of the later cycles (what `cycle_peak_ratio < 1.1` checks). */
  peakRatio: number | null;
}

/**
 * Target at the end of each phase: from the scenario (a percentage of the peak so far, as the driver reads it),
 * else the last sample's target of each phase span.
 */
export function phaseEndTargets(spans: PhaseSpan[], scenario: Scenario | null): Map<number, number> {
  const out = new Map<number, number>();
  const phases = scenario?.load.phases;
  if (phases && phases.length > 0) {
    let peak = 0;
    let now = 0;
    phases.forEach((p, i) => {
      if (p.kind === 'ramp') {
        now = 'count' in p.to ? p.to.count : Math.round(p.to.fractionOfPeak * peak);
        peak = Math.max(peak, now);
      }
      out.set(i, now);
    });
    return out;
  }
  for (const s of spans) if (s.phaseIndex >= 0) out.set(s.phaseIndex, s.samples.at(-1)!.target);
  return out;
}

/**
 * Phase indexes where a cycle begins: the first phase that raises the target, and every later one that raises it
 * after a phase lowered it.
 */
export function cycleStarts(targets: Map<number, number>): number[] {
  const starts: number[] = [];
  let prev = 0;
  let fell = true;
  for (const [i, t] of [...targets.entries()].sort((a, b) => a[0] - b[0])) {
    if (t > prev && fell) {
      starts.push(i);
      fell = false;
    } else if (t < prev) fell = true;
    prev = t;
  }
  return starts;
}

/** Null unless the run has at least two cycles. */
export function cycleSummary(
  samples: Sample[],
  spans: PhaseSpan[],
  scenario: Scenario | null,
  baselineRss: number,
): CycleSummary | null {
  const targets = phaseEndTargets(spans, scenario);
  const starts = cycleStarts(targets);
  if (starts.length < 2) return null;
  const lastPhase = Math.max(...targets.keys());
  const cycles: Cycle[] = [];
  for (let k = 0; k < starts.length; k++) {
    const fromPhase = starts[k]!;
    const toPhase = k + 1 < starts.length ? starts[k + 1]! - 1 : lastPhase;
    const inCycle = samples.filter((s) => s.phaseIndex >= fromPhase && s.phaseIndex <= toPhase);
    if (inCycle.length === 0) break; // the run stopped before this cycle
    let peak = inCycle[0]!;
    for (const s of inCycle) if (s.proc.rss > peak.proc.rss) peak = s;
    const peakTarget = Math.max(
      ...[...targets.entries()].filter(([i]) => i >= fromPhase && i <= toPhase).map(([, t]) => t),
    );
    const endSpan = spans.find((s) => s.phaseIndex === toPhase);
    const low = endSpan && (targets.get(toPhase) ?? 0) < peakTarget ? lastTenth(endSpan) : null;
    cycles.push({
      index: k + 1,
      fromPhase,
      toPhase,
      peakRss: peak.proc.rss,
      peakAtMs: peak.t,
      peakOnline: maxOf(inCycle.map((s) => s.online)),
      peakRatio: 1,
      trough:
        low && low.length > 0
          ? {
              rss: median(low.map((s) => s.proc.rss))!,
              online: median(low.map((s) => s.online))!,
              fromMs: low[0]!.t,
              toMs: low.at(-1)!.t,
            }
          : null,
      growth: null,
      need: null,
      kept: null,
      reuse: null,
      keptReuse: null,
    });
  }
  if (cycles.length < 2) return null;
  const first = cycles[0]!;
  const perPlayer =
    first.peakOnline > 0 && first.peakRss > baselineRss ? (first.peakRss - baselineRss) / first.peakOnline : null;
  for (let k = 1; k < cycles.length; k++) {
    const c = cycles[k]!;
    c.peakRatio = c.peakRss / first.peakRss;
    const before = cycles[k - 1]!.trough;
    if (!before) continue;
    c.growth = c.peakRss - before.rss;
    if (perPlayer === null) continue;
    const need = perPlayer * (c.peakOnline - before.online);
    if (need <= 0) continue;
    c.need = need;
    c.kept = before.rss - (baselineRss + perPlayer * before.online);
    const fitted = need - Math.max(0, c.growth);
    c.reuse = clamp01(fitted / need);
    c.keptReuse = c.kept > 0 ? clamp01(fitted / c.kept) : null;
  }
  const later = cycles.slice(1);
  const lowest = (xs: Array<number | null>) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.min(...v) : null;
  };
  return {
    cycles,
    bytesPerPlayer: perPlayer,
    reuse: lowest(later.map((c) => c.reuse)),
    keptReuse: lowest(later.map((c) => c.keptReuse)),
    peakRatio: Math.max(...later.map((c) => c.peakRatio)),
  };
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
