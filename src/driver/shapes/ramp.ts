// `ramp: {to, over}`: the online count moves linearly from where it is to `to` (a count, or a fraction of
// the peak so far), so arrivals (or departures) are spread evenly over the phase.
import { phasePeak } from '../../scenario/peak.js';
import type { Phase } from '../../scenario/types.js';
import { registerShape, type LoadShape, type PhaseContext } from '../shape.js';

type Ramp = Extract<Phase, { kind: 'ramp' }>;

export function rampEnd(p: Ramp, ctx: Pick<PhaseContext, 'peak'>): number {
  return 'count' in p.to ? p.to.count : Math.round(p.to.fractionOfPeak * ctx.peak);
}

export const rampShape: LoadShape<Ramp> = {
  kind: 'ramp',
  durationMs: (p) => p.durationMs,
  peak: phasePeak,
  target(p, tMs, ctx) {
    const end = rampEnd(p, ctx);
    const f = p.durationMs <= 0 ? 1 : Math.min(1, Math.max(0, tMs / p.durationMs));
    return Math.round(ctx.startCount + (end - ctx.startCount) * f);
  },
};

registerShape(rampShape);
