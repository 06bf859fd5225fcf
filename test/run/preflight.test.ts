import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import { openFileLimit, preflight, selectVariants, totalDurationMs } from '../../src/run/preflight.js';
import { peakPlayers } from '../../src/scenario/peak.js';
import { parseScenario } from '../../src/scenario/load.js';
import { tinyScenario } from './fixtures.js';

const two = tinyScenario({ variants: '  - name: a\n    build: glibc\n  - name: b\n    build: glibc\n' });

test('--variants selects in scenario order and rejects unknown names', () => {
  const s = parseScenario(two, 'tiny.yaml');
  assert.deepEqual(
    selectVariants(s, ['b', 'a']).map((v) => v.name),
    ['a', 'b'],
  );
  assert.deepEqual(
    selectVariants(s, undefined).map((v) => v.name),
    ['a', 'b'],
  );
  assert.throws(
    () => selectVariants(s, ['a', 'c']),
    (e: unknown) => e instanceof UsageError && e.message === '--variants: no variant "c" in tiny (variants: a, b)',
  );
});

test('peak players and duration come from the phases', () => {
  const s = parseScenario(two, 'tiny.yaml');
  assert.equal(peakPlayers(s), 300);
  assert.equal(totalDurationMs(s), 750 + 4000 + 2000 + 2000 + 2500);
});

test('preflight refuses a peak the open-file limit cannot hold', async () => {
  const limit = openFileLimit();
  assert.ok(limit !== null && limit > 0, 'reads the limit from /proc/self/limits');
  const s = parseScenario(two.replace('to: 300', `to: ${Number.isFinite(limit) ? limit : 10_000_000}`), 'tiny.yaml');
  await assert.rejects(
    preflight(s, s.variants, false),
    (e: unknown) => e instanceof UsageError && /needs \d+ open files in simload, but the limit is/.test(e.message),
  );
  await preflight(parseScenario(two, 'tiny.yaml'), s.variants, true);
});
