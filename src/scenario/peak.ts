// The peak of a scenario: the largest absolute player count a phase asks for. A `33%` ramp is a fraction of the
// peak reached before it, so only absolute counts make a peak. One helper for preflight (open files), plan
// (the count it scales) and the ramp shape (what later fractions refer to).

import type { Phase, Scenario } from './types.js';

/** The absolute player count this phase asks for, or null when it asks for none (hold, pressure, a fraction). */
export function phasePeak(p: Phase): number | null {
  return p.kind === 'ramp' && 'count' in p.to ? p.to.count : null;
}

/** Largest absolute player count over the scenario's phases; 0 when there is none. */
export function peakPlayers(s: Pick<Scenario, 'load'>): number {
  let peak = 0;
  for (const p of s.load.phases) peak = Math.max(peak, phasePeak(p) ?? 0);
  return peak;
}
