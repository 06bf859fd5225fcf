// The scenario.json of a watch folder: not a scenario that was run but the operator's marks as phases, so the
// report, `expect:` and `compare` read a watch folder as they read a run. Pure.

import type { ExpectRule, Phase, Scenario } from '../scenario/types.js';
import type { Mark } from './marks.js';

export interface MarkedPhase extends Mark {
  /** ms since the watch began. */
  fromMs: number;
}

export function watchScenario(o: {
  name: string;
  description: string;
  intervalMs: number;
  outDir: string;
  marks: MarkedPhase[];
  nowMs: number;
  expect: ExpectRule[];
}): Scenario {
  const phases: Phase[] = o.marks.map((m, i) => {
    const durationMs = Math.max(0, (o.marks[i + 1]?.fromMs ?? o.nowMs) - m.fromMs);
    return m.kind === 'ramp' ? { kind: 'ramp', to: { count: m.target }, durationMs } : { kind: 'hold', durationMs };
  });
  return {
    name: o.name,
    description: o.description,
    file: null,
    // A watched process is not simload's server: no server options apply.
    server: {} as Scenario['server'],
    variants: [{ name: o.name }],
    load: { phases, messageRate: 0, thinkTimeMs: 0, botWorkers: 0 },
    record: { intervalMs: o.intervalMs, baselineMs: o.marks[0]?.fromMs ?? o.nowMs },
    expect: o.expect,
    output: { dir: o.outDir },
  };
}
