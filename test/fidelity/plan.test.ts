// The skynet driver's plan from a scenario, and the load-delivered check: pure functions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { undelivered } from '../../src/fidelity/delivered.js';
import { planLua, skynetPlan } from '../../src/fidelity/plan.js';
import type { Sample } from '../../src/results/sample.js';
import { parseScenario } from '../../src/scenario/load.js';

const yaml = (phases: string) => `name: p
description: d
variants:
  - { name: madv-free, build: madv-free }
load:
  rate: 0.25
  phases:
${phases}
record: { interval: 500ms }
`;
const paths = {
  variant: 'madv-free',
  samples: '/r/s',
  events: '/r/e',
  script: '/x/"a\\b"é.lua',
  transport: 'gate' as const,
};

test('plan: targets move from where the last phase left them; a fraction is of the peak so far', () => {
  const s = parseScenario(
    yaml(
      '    - ramp: { to: 900, over: 3s }\n    - hold: 2s\n    - ramp: { to: 33%, over: 1s, rate: 2 }\n    - hold: 4s',
    ),
    'p.yaml',
  );
  const p = skynetPlan(s, paths);
  assert.deepEqual(p.phases, [
    { kind: 'ramp', from: 0, to: 900, duration_ms: 3000, rate: 0.25 },
    { kind: 'hold', from: 900, to: 900, duration_ms: 2000, rate: 0.25 },
    { kind: 'ramp', from: 900, to: 297, duration_ms: 1000, rate: 2 },
    { kind: 'hold', from: 297, to: 297, duration_ms: 4000, rate: 0.25 },
  ]);
  assert.equal(p.interval_ms, 500);
  assert.equal(p.baseline_ms, 2000);
  // gateserver refuses the connection that reaches maxclient: the limit stays above the peak
  assert.ok(p.max_clients > 900, String(p.max_clients));
  const lua = planLua(p);
  assert.match(lua, /^-- .*\nreturn \{ variant = "madv-free", /);
  // Quotes, backslashes and non-ASCII bytes are escaped as \ddd, which every Lua reads back byte for byte.
  assert.ok(lua.includes('script = "/x/\\034a\\092b\\034\\195\\169.lua"'), lua);
});

test('plan: a pressure phase is refused with where it is', () => {
  const s = parseScenario(yaml('    - ramp: { to: 10, over: 1s }\n    - pressure: { limit: 1GiB, for: 2s }'), 'p.yaml');
  assert.throws(
    () => skynetPlan(s, paths),
    (e: Error & { code?: string }) =>
      e.code === 'ERR_FIDELITY_PHASE' && /load\.phases\[1\]: a pressure phase/.test(e.message),
  );
});

test('delivered: a hold sample off its target by more than 2% fails the run', () => {
  const s = parseScenario(yaml('    - ramp: { to: 1000, over: 1s }\n    - hold: 2s'), 'p.yaml');
  const at = (phaseIndex: number, target: number, online: number) =>
    ({ phaseIndex, phase: phaseIndex === 1 ? 'hold' : 'ramp', target, online, t: 1000 }) as Sample;
  assert.equal(undelivered(s, [at(0, 500, 300), at(1, 1000, 1000), at(1, 1000, 980)]), null);
  assert.match(undelivered(s, [at(1, 1000, 1000), at(1, 1000, 979)])!, /online 979 against a target of 1000/);
  assert.match(undelivered(s, [at(0, 500, 500)])!, /no samples in any hold/);
  // One sample interval of lag: the first hold sample after a ramp-down may lie between the target before and
  // the target now; the next one may not, and neither may an overshoot past both.
  const s2 = parseScenario(
    yaml('    - ramp: { to: 1000, over: 1s }\n    - hold: 2s\n    - ramp: { to: 33%, over: 1s }\n    - hold: 2s'),
    'p.yaml',
  );
  assert.equal(undelivered(s2, [at(1, 1000, 1000), at(2, 600, 620), at(3, 330, 450), at(3, 330, 330)]), null);
  assert.match(
    undelivered(s2, [at(1, 1000, 1000), at(2, 600, 620), at(3, 330, 450), at(3, 330, 400)])!,
    /online 400 against a target of 330/,
  );
  assert.match(
    undelivered(s2, [at(1, 1000, 1000), at(2, 600, 620), at(3, 330, 700)])!,
    /online 700 against a target moving from 600 to 330/,
  );
  assert.match(
    undelivered(s2, [at(1, 1000, 1000), at(2, 600, 620), at(3, 330, 300)])!,
    /online 300 against a target moving from 600 to 330/,
  );
});
