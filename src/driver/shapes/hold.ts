// `hold: 20s`: keeps the online count where the previous phase left it.
import type { Phase } from '../../scenario/types.js';
import { registerShape, type LoadShape } from '../shape.js';

type Hold = Extract<Phase, { kind: 'hold' }>;

export const holdShape: LoadShape<Hold> = {
  kind: 'hold',
  durationMs: (p) => p.durationMs,
  target: (_p, _t, ctx) => ctx.startCount,
};

registerShape(holdShape);
