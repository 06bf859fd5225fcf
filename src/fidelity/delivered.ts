// Did the skynet side deliver the load the plan asked for? A run whose online count missed its target is not
// a measurement, so the runner fails it. Checked on the samples of each hold (after each ramp):
// within ONLINE_TOLERANCE of the target, where, as in simload's own check (analysis/validity.ts), one sample
// interval of lag is allowed: the first sample of a hold may still be anywhere between the target at the sample
// before and the target now (through a gate, the last leavers' closes reach skynet a moment after the ramp
// ends). The messages are checked as in simload's runs (analysis/message-load.ts): per phase, what the gate
// forwarded (or the driver sent) against the rate times the players past their think time. Pure.
import { messageShortfalls, phaseMessages } from '../analysis/message-load.js';
import type { Sample } from '../results/sample.js';
import type { Scenario } from '../scenario/types.js';

export const ONLINE_TOLERANCE = 0.02;

/** Null when every hold sample is within tolerance and every phase got its messages, else what was missed. */
export function undelivered(s: Scenario, samples: Sample[]): string | null {
  const missed = [onlineMissed(s, samples), ...messageShortfalls(phaseMessages(samples, s))].filter(
    (x): x is string => x !== null,
  );
  return missed.length ? missed.join('; ') : null;
}

function onlineMissed(s: Scenario, samples: Sample[]): string | null {
  let worst: { x: Sample; off: number; lo: number; hi: number } | null = null;
  let holds = 0;
  samples.forEach((x, i) => {
    if (x.phaseIndex < 0 || s.load.phases[x.phaseIndex]?.kind !== 'hold') return;
    holds++;
    const before = samples[i - 1]?.target ?? x.target;
    const lo = Math.min(x.target, before);
    const hi = Math.max(x.target, before);
    const off = Math.max(lo - x.online, x.online - hi, 0);
    const allowed = Math.max(1, ONLINE_TOLERANCE * x.target);
    if (off > allowed && (!worst || off > worst.off)) worst = { x, off, lo, hi };
  });
  if (holds === 0) return 'no samples in any hold phase';
  if (!worst) return null;
  const { x, lo, hi } = worst as { x: Sample; lo: number; hi: number };
  const from = hi === x.target ? lo : hi;
  const target = lo === hi ? `a target of ${x.target}` : `a target moving from ${from} to ${x.target}`;
  return `online ${x.online} against ${target} at ${(x.t / 1000).toFixed(1)}s (phase ${x.phaseIndex}:${x.phase}); allowed ${ONLINE_TOLERANCE * 100}% and one sample of lag`;
}
