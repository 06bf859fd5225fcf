// Did the skynet driver deliver the load the plan asked for? A run whose online count missed its target is not
// a measurement (HELPERS.md), so the runner fails it. Checked on the samples of each hold (after each ramp),
// as simload's own acceptance does: within ONLINE_TOLERANCE of the target. Pure.
import type { Sample } from '../results/sample.js';
import type { Scenario } from '../scenario/types.js';

export const ONLINE_TOLERANCE = 0.02;

/** Null when every hold sample is within tolerance, else what was missed. */
export function undelivered(s: Scenario, samples: Sample[]): string | null {
  const holds = samples.filter((x) => x.phaseIndex >= 0 && s.load.phases[x.phaseIndex]?.kind === 'hold');
  if (holds.length === 0) return 'no samples in any hold phase';
  const worst = holds.reduce((a, x) => (Math.abs(x.online - x.target) > Math.abs(a.online - a.target) ? x : a));
  const off = Math.abs(worst.online - worst.target);
  if (off > Math.max(1, ONLINE_TOLERANCE * worst.target)) {
    return `online ${worst.online} against a target of ${worst.target} at ${(worst.t / 1000).toFixed(1)}s (phase ${worst.phaseIndex}:${worst.phase}); allowed ${ONLINE_TOLERANCE * 100}%`;
  }
  return null;
}
