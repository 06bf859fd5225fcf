// compare's verdict (analysis/compare.ts): ok against itself, expect-failed (exit 1) when a deciding metric is
// worse beyond its floor, invalid (exit 4) when either side did not deliver its load, whatever else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSummaries, compareVerdict } from '../../src/analysis/compare.js';
import { loadRun } from '../../src/analysis/load.js';
import { summarize, type Summary } from '../../src/analysis/summary.js';
import { FIXTURE_DIR } from '../helpers/run-fixture.js';

const fixture = summarize(await loadRun(FIXTURE_DIR));
const worse = (s: Summary): Summary => ({ ...s, variants: s.variants.map((v) => ({ ...v, peakRss: v.peakRss * 3 })) });
const invalid = (s: Summary): Summary => ({ ...s, valid: false, invalid: ['v: phase 1:hold: short'] });

test('compare ends ok, worse or invalid, with exit codes 0, 1 and 4', () => {
  const v = (b: Summary, c: Summary) => {
    const r = compareVerdict(compareSummaries(b, c, 0.1));
    return [r.outcome, r.exitCode];
  };
  assert.deepEqual(v(fixture, fixture), ['ok', 0]);
  assert.deepEqual(v(fixture, worse(fixture)), ['expect-failed', 1]);
  assert.deepEqual(v(worse(fixture), fixture), ['ok', 0]);
  assert.deepEqual(v(invalid(fixture), worse(fixture)), ['invalid', 4]);
  assert.deepEqual(v(fixture, invalid(fixture)), ['invalid', 4]);
});
