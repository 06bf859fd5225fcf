// `repeat:` in load.phases: expanded in place; problems inside it located at the line written; `record.warmup`;
// thresholds in bytes per hour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { ScenarioError } from '../../src/scenario/problems.js';
import { MAX_PHASES } from '../../src/scenario/phases.js';
import { parseExpectRule, parseSizePerHour } from '../../src/scenario/expect.js';

const HEAD = `name: t
variants:
  - name: a
    build: madv-free
load:
  phases:
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'dn.yaml');
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected ScenarioError, got ${String(err)}`);
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  assert.fail('the scenario was accepted');
}

test('repeat expands its phases in place, percentages of the peak so far', () => {
  const s = parseScenario(
    `${HEAD}    - hold: 2s
    - repeat:
        times: 3
        phases:
          - ramp: { to: 300, over: 10s }
          - ramp: { to: 33%, over: 5s, rate: 0.1 }
          - hold: 20s
    - hold: 1s
record:
  warmup: 90s
`,
    'dn.yaml',
  );
  const cycle = [
    { kind: 'ramp', to: { count: 300 }, durationMs: 10_000 },
    { kind: 'ramp', to: { fractionOfPeak: 0.33 }, durationMs: 5000, rate: 0.1 },
    { kind: 'hold', durationMs: 20_000 },
  ];
  assert.deepEqual(s.load.phases, [
    { kind: 'hold', durationMs: 2000 },
    ...cycle,
    ...cycle,
    ...cycle,
    { kind: 'hold', durationMs: 1000 },
  ]);
  // Copies, not the same object three times (the driver may annotate a phase).
  assert.notEqual(s.load.phases[1], s.load.phases[4]);
  assert.equal(s.record.warmupMs, 90_000);
});

test('problems inside a repeat point at the line written, every one at once', () => {
  const got = problems(`${HEAD}    - repeat:
        times: 0
        phases:
          - ramp: { to: 33%, over: 10s }
          - hold: 1x
          - repeat: { times: 2, phases: [ { hold: 1s } ] }
    - repeat: { times: 2 }
`);
  assert.deepEqual(got, [
    '8:16 load.phases[0].repeat.times: must be >= 1, got 0',
    '10:25 load.phases[0].repeat.phases[0].ramp.to: 33% of the peak, but no earlier phase ramps to an absolute count above 0: ramp to a count first',
    '11:19 load.phases[0].repeat.phases[1].hold: expected a duration (hold: 20s) or {for: 60s, rate: 0}',
    '12:13 load.phases[0].repeat.phases[2].repeat: unknown key "repeat"',
    '13:15 load.phases[1].repeat: missing required key "phases"',
  ]);
});

test('a repeat that expands past MAX_PHASES is refused at its times', () => {
  const item = `    - repeat:
        times: 1000
        phases: [ { ramp: { to: 10, over: 1s } }, { hold: 1s } ]
`;
  const got = problems(HEAD + item.repeat(6));
  assert.deepEqual(got, [
    `23:16 load.phases[5].repeat.times: expands to 12000 phases, more than ${MAX_PHASES}: lengthen the phases instead`,
  ]);
});

test('slopes: sizes per hour, minute, second or day; the unit is required', () => {
  assert.equal(parseSizePerHour('5MiB/h'), 5 * 2 ** 20);
  assert.equal(parseSizePerHour('100 KiB / min'), 100 * 1024 * 60);
  assert.equal(parseSizePerHour('1KiB/s'), 1024 * 3600);
  assert.equal(parseSizePerHour('24MiB/day'), 2 ** 20);
  assert.equal(parseSizePerHour('-1MiB/h'), -(2 ** 20));
  assert.equal(parseSizePerHour('5MiB'), null);
  assert.equal(parseSizePerHour('5MiB/fortnight'), null);
  const rule = parseExpectRule('rss_slope < 5MiB/h', null);
  assert.deepEqual(rule, {
    variant: null,
    metric: 'rss_slope',
    op: '<',
    value: 5 * 2 ** 20,
    source: 'rss_slope < 5MiB/h',
  });
  const bad = parseExpectRule('allocated_slope < 5MiB', 'a');
  assert.ok('error' in bad && bad.error.startsWith('allocated_slope needs a size per time'));
  const reuse = parseExpectRule('reuse > 50%', null);
  assert.ok(!('error' in reuse) && reuse.value === 0.5);
});
