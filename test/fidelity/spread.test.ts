// Several fidelity pairs row by row: each pair's ratio, the median, how many pairs met each target; an INVALID
// pair is left out of the counts; then as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FidelityRow, FidelityTable } from '../../src/analysis/fidelity.js';
import { formatSpread } from '../../src/fidelity/format.js';
import { fidelitySpread, spreadHolds, type SpreadRow } from '../../src/fidelity/spread.js';

const peak = (ratio: number): FidelityRow => ({
  metric: 'peak jemalloc-side Rss',
  unit: 'bytes',
  simload: ratio * 100,
  skynet: 100,
  ratio,
  target: 'within 10%',
  pass: Math.abs(ratio - 1) <= 0.1,
});
const lazy = (pass: boolean): FidelityRow => ({
  metric: 'LazyFree taken back after the ramp-down',
  unit: 'ms',
  simload: null,
  skynet: null,
  ratio: null,
  target: 'within 50% of skynet, or held in both',
  pass,
});
const untargeted: FidelityRow = { metric: 'peak Rss', unit: 'bytes', simload: 1, skynet: 2, ratio: 0.5 };
/** A spread row's cells and its `passes of judged`, to compare in one assertion. */
const seen = (r: SpreadRow | undefined) => ({ cells: r?.cells, ok: [r?.passes, r?.judged] });
const table = (
  variant: string,
  rows: FidelityRow[],
  lazyWords: [string, string],
  invalid: string[] = [],
): FidelityTable => ({
  variant,
  rows,
  lazyFree: { simload: lazyWords[0], skynet: lazyWords[1] },
  notes: [],
  invalid,
  sizeClasses: null,
});

test('spread: each target row across pairs, with the median of the ratios and the pairs that met it', () => {
  const pairs = [
    [table('madv-free', [untargeted, peak(0.96), lazy(true)], ['held to the end', 'held to the end'])],
    [table('madv-free', [untargeted, peak(0.85), lazy(false)], ['after 3.0s', 'held to the end'])],
    [table('madv-free', [untargeted, peak(1.02), lazy(true)], ['held to the end', 'held to the end'])],
  ];
  const s = fidelitySpread(pairs);
  assert.equal(s.rows.length, 2, 'rows without a target are not in the spread');
  assert.deepEqual(s.rows.map(seen), [
    { cells: ['0.96', '0.85', '1.02'], ok: [2, 3] },
    { cells: ['held / held', 'after 3.0s / held', 'held / held'], ok: [2, 3] },
  ]);
  assert.equal(spreadHolds(s), false);
  const text = formatSpread(s);
  assert.match(text, /^across 3 pairs\n/);
  assert.match(text, /\npeak jemalloc-side Rss +0\.96 +0\.85 +1\.02 +0\.96 +2 of 3 +within 10%\n/);
  assert.equal(spreadHolds(fidelitySpread([pairs[0]!, pairs[2]!])), true);
});

test("spread: an INVALID table is left out of its variant's counts and named; the other variant of that pair counts", () => {
  const good = (variant: string) => table(variant, [peak(0.97)], ['none', 'none']);
  const bad = table('no-madv-free', [peak(0.5)], ['none', 'none'], ['simload: phase 1:hold: 90% of the messages']);
  const s = fidelitySpread([
    [good('madv-free'), good('no-madv-free')],
    [good('madv-free'), bad],
    [good('madv-free'), good('no-madv-free')],
  ]);
  assert.deepEqual(s.invalid, [{ pair: 2, variant: 'no-madv-free' }]);
  assert.deepEqual(s.rows.map(seen), [
    { cells: ['0.97', '0.97', '0.97'], ok: [3, 3] },
    { cells: ['0.97', 'INVALID', '0.97'], ok: [2, 2] },
  ]);
  assert.equal(spreadHolds(s), true);
  const text = formatSpread(s);
  assert.match(text, /^across 3 pairs \(left out, INVALID: pair 2 no-madv-free\)\n/);
  assert.match(text, /\npeak jemalloc-side Rss +0\.97 +INVALID +0\.97 +0\.97 +2 of 2/);
  assert.equal(spreadHolds(fidelitySpread([[bad]])), false, 'nothing judged holds nothing');
});

test('spread: CPU rows are shown across pairs without a target and judge nothing', () => {
  const cpu = (ratio: number): FidelityRow => ({
    metric: 'server CPU per 1 000 messages',
    unit: 'cpu-ms',
    simload: ratio * 40,
    skynet: 40,
    ratio,
    spread: true,
  });
  const s = fidelitySpread([
    [table('gate', [peak(1), cpu(1.8)], ['none', 'none'])],
    [table('gate', [peak(1), cpu(2.2)], ['none', 'none'])],
  ]);
  const row = s.rows.find((r) => r.metric === 'server CPU per 1 000 messages');
  assert.deepEqual({ ...seen(row), target: row?.target }, { cells: ['1.80', '2.20'], ok: [0, 0], target: '-' });
  assert.equal(spreadHolds(s), true, 'a CPU ratio alone is no miss');
  assert.match(formatSpread(s), /\nserver CPU per 1 000 messages +1\.80 +2\.20 +2\.00 +0 of 0 +-\n/);
});
