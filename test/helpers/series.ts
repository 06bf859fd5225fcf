// Computed sample series for the cycle and drift tests: one sample a second, Rss given per phase.
import type { Sample } from '../../src/results/sample.js';
import type { Phase, Scenario, ExpectRule } from '../../src/scenario/types.js';

const MiB = 2 ** 20;

/** One sample per second per phase; `rss(phaseIndex, i, n)` in MiB; online follows the phase's end target. */
export function series(
  phases: Phase[],
  rss: (phase: number, i: number, n: number) => number,
  online: (phase: number) => number,
): Sample[] {
  const out: Sample[] = [];
  let t = 0;
  const push = (phaseIndex: number, phase: string, on: number, r: number) =>
    out.push({
      v: 1,
      variant: 'v',
      t,
      wall: 1e12 + t,
      phaseIndex,
      phase,
      target: on,
      online: on,
      proc: { rss: r * MiB, lazyFree: 0, anonymous: r * MiB, anonHugePages: 0, vmHWM: 0 },
      alloc: null,
      runtime: null,
    });
  for (let i = 0; i < 6; i++, t += 1000) push(-1, 'baseline', 0, 100);
  phases.forEach((p, k) => {
    const n = p.durationMs / 1000;
    for (let i = 0; i < n; i++, t += 1000) push(k, p.kind, online(k), rss(k, i, n));
  });
  return out;
}

export function scenarioOf(phases: Phase[], rules: ExpectRule[] = []): Scenario {
  return {
    name: 's',
    description: '',
    file: null,
    server: {} as Scenario['server'],
    variants: [{ name: 'v' }],
    load: { phases, messageRate: 1, thinkTimeMs: 0, botWorkers: 1 },
    record: { intervalMs: 1000, baselineMs: 6000 },
    expect: rules,
    output: { dir: 'results' },
  };
}
