// Durations as the report and progress lines print them: rounding never makes a unit overflow (1m60s, 60s, 1000ms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from '../src/units.js';

test('formatDuration rounds once, then splits minutes off', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1_500, '1.5s'],
    [9_940, '9.9s'],
    [9_960, '10s'],
    [59_400, '59s'],
    [59_700, '1m'],
    [60_000, '1m'],
    [75_000, '1m15s'],
    [119_400, '1m59s'],
    [119_600, '2m'],
    [3_599_600, '60m'],
  ];
  assert.deepEqual(
    cases.map(([ms]) => formatDuration(ms)),
    cases.map(([, text]) => text),
  );
});
