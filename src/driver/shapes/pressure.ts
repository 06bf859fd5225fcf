// `pressure: {limit: 1.5GiB, for: 20s}`: keeps the online count and holds the server under a memory limit
// (its cgroup, see cgroup/). The kernel reclaims LazyFree pages first, then may OOM-kill; events say which.
import { applyPressure, releasePressure } from '../../cgroup/pressure.js';
import type { Phase } from '../../scenario/types.js';
import { registerShape, type LoadShape } from '../shape.js';

type Pressure = Extract<Phase, { kind: 'pressure' }>;

export const pressureShape: LoadShape<Pressure> = {
  kind: 'pressure',
  durationMs: (p) => p.durationMs,
  memoryLimit: (p) => p.limitBytes,
  target: (_p, _t, ctx) => ctx.startCount,
  async enter(p, ctx) {
    const entry = await applyPressure(p.limitBytes, ctx);
    // Samples carry the limit actually in force: none when skipped, the kernel's floor when v1 refused.
    const applied = entry?.group && entry.limit !== entry.runLimit ? entry.limit : (entry?.runLimit ?? null);
    ctx.setMemoryLimit?.(applied);
  },
  async exit(_p, ctx) {
    await releasePressure(ctx);
    ctx.setMemoryLimit?.(null);
  },
};

registerShape(pressureShape);
