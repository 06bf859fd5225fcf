// The scenario's shape at another peak: absolute counts scaled, ramps kept at the scenario's arrival rate,
// holds shortened so a sweep of several runs fits in minutes. Pure.

import type { Phase, Scenario } from '../scenario/types.js';
import { peakPlayers } from '../scenario/peak.js';

/** Holds before the last one: long enough for several samples at the peak. */
export const PLAN_HOLD_MS = 10_000;
/** The final hold: jemalloc's 10 s dirty and 10 s muzzy decay play out, with room for the settle window. */
export const PLAN_FINAL_HOLD_MS = 45_000;
/** No ramp shorter than this (arrivals need a few ticks to spread). */
export const PLAN_MIN_RAMP_MS = 3_000;

/** Highest absolute online target of the scenario (the peak `33%` refers to). */
/** Evenly spaced peaks up to `max`: max*1/n, max*2/n, ..., max. */
export function sweepPeaks(max: number, points: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= points; k++) out.push(Math.max(1, Math.round((max * k) / points)));
  return [...new Set(out)];
}

export interface ScaleOptions {
  /** Shorten holds to PLAN_HOLD_MS / PLAN_FINAL_HOLD_MS (the sweep); false keeps the scenario's holds. */
  shortenHolds: boolean;
  /** Drop `pressure` phases (a sweep measures the unconstrained footprint). */
  dropPressure: boolean;
}

/** The scenario with its peak at `peak` players. Ramp durations scale with the counts, so arrivals per second stay. */
export function scaleScenario(s: Scenario, peak: number, o: ScaleOptions): Scenario {
  const base = peakPlayers(s);
  if (base <= 0) throw new RangeError(`${s.name}: no ramp to an absolute player count, nothing to scale`);
  const factor = peak / base;
  const kept = s.load.phases.filter((p) => !(o.dropPressure && p.kind === 'pressure'));
  const lastHold = kept.map((p) => p.kind).lastIndexOf('hold');
  const phases: Phase[] = kept.map((p, i): Phase => {
    if (p.kind === 'ramp') {
      const to =
        'count' in p.to
          ? { count: Math.max(0, Math.round(p.to.count * factor)) }
          : { fractionOfPeak: p.to.fractionOfPeak };
      return { ...p, to, durationMs: Math.max(PLAN_MIN_RAMP_MS, Math.round(p.durationMs * factor)) };
    }
    if (p.kind === 'hold' && o.shortenHolds) {
      return { ...p, durationMs: Math.min(p.durationMs, i === lastHold ? PLAN_FINAL_HOLD_MS : PLAN_HOLD_MS) };
    }
    return { ...p };
  });
  return { ...s, name: `${s.name}-${peak}`, load: { ...s.load, phases }, expect: [] };
}
