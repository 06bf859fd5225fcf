// The sweep's scenarios: peaks evenly spaced, counts scaled, arrival rate kept, holds shortened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleScenario, sweepPeaks } from '../../src/plan/scale.js';
import { peakPlayers } from '../../src/scenario/peak.js';
import type { Scenario } from '../../src/scenario/types.js';

const scenario = {
  name: 'ramp',
  load: {
    messageRate: 0.25,
    thinkTimeMs: 1000,
    botWorkers: 2,
    phases: [
      { kind: 'ramp', to: { count: 8000 }, durationMs: 30_000 },
      { kind: 'hold', durationMs: 15_000 },
      { kind: 'pressure', limitBytes: 1 << 30, durationMs: 20_000 },
      { kind: 'ramp', to: { fractionOfPeak: 0.33 }, durationMs: 15_000 },
      { kind: 'hold', durationMs: 60_000, rate: 0.5 },
    ],
  },
  expect: [{ variant: null, metric: 'retention', op: '<', value: 0.5, source: 'retention < 0.5' }],
} as unknown as Scenario;

test('peaks evenly spaced up to the largest', () => {
  assert.equal(peakPlayers(scenario), 8000);
  assert.deepEqual(sweepPeaks(8000, 3), [2667, 5333, 8000]);
  assert.deepEqual(sweepPeaks(8000, 2), [4000, 8000]);
  assert.deepEqual(sweepPeaks(2, 4), [1, 2]); // duplicates collapse
});

test('a smaller peak: counts and ramp times scale, holds shorten, pressure and expect go', () => {
  const s = scaleScenario(scenario, 2667, { shortenHolds: true, dropPressure: true });
  assert.equal(s.name, 'ramp-2667');
  assert.deepEqual(s.expect, []);
  assert.deepEqual(s.load.phases, [
    { kind: 'ramp', to: { count: 2667 }, durationMs: 10_001 }, // 30 s x 2667/8000, same arrivals per second
    { kind: 'hold', durationMs: 10_000 },
    { kind: 'ramp', to: { fractionOfPeak: 0.33 }, durationMs: 5_001 },
    { kind: 'hold', durationMs: 45_000, rate: 0.5 }, // the final hold keeps room for decay
  ]);
  assert.equal(scenario.load.phases.length, 5, 'the input is not changed');
});

test('a larger peak keeps the holds when asked and the pressure phase', () => {
  const s = scaleScenario(scenario, 16000, { shortenHolds: false, dropPressure: false });
  assert.deepEqual(
    s.load.phases.map((p) => p.durationMs),
    [60_000, 15_000, 20_000, 30_000, 60_000],
  );
  assert.deepEqual(s.load.phases[0], { kind: 'ramp', to: { count: 16000 }, durationMs: 60_000 });
  assert.throws(
    () =>
      scaleScenario({ ...scenario, load: { ...scenario.load, phases: [{ kind: 'hold', durationMs: 1 }] } }, 10, {
        shortenHolds: true,
        dropPressure: true,
      }),
    /no ramp to an absolute player count/,
  );
});
