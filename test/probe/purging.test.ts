// How a probe measurement reads (probe/purging.ts), at the edges of each rule, and the exit code of
// `probe --expect`. Hand-made measurements: 100 MiB freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryPoint, ProbeMeasurement } from '../../src/probe/messages.js';
import { probeVerdict, readPurging } from '../../src/probe/purging.js';

const MiB = 1024 * 1024;
const point = (rss: number, lazyFree: number): MemoryPoint => ({
  rss,
  lazyFree,
  allocated: 0,
  resident: 0,
  pdirty: 0,
  pmuzzy: 0,
});

/** 100 MiB allocated on top of 20 MiB and freed; after the free Rss is `rssAfter` MiB holding `lazy` MiB LazyFree. */
function measured(rssAfter: number, lazy: number): ProbeMeasurement {
  return {
    objects: 1000,
    minSize: 48,
    maxSize: 3072,
    freedBytes: 100 * MiB,
    before: point(20 * MiB, 0),
    afterAlloc: point(120 * MiB, 0),
    afterFree: point(rssAfter * MiB, lazy * MiB),
    settleMs: 1000,
    version: null,
    opts: { dirtyDecayMs: null, muzzyDecayMs: null, backgroundThread: null, narenas: null },
  };
}

test('lazy from half of the freed bytes in LazyFree; eager below 1% LazyFree with Rss down 80%; retained otherwise', () => {
  assert.equal(readPurging(measured(120, 50)).purging, 'lazy');
  assert.equal(readPurging(measured(120, 49.9)).purging, 'retained');
  assert.equal(readPurging(measured(40, 0.9)).purging, 'eager');
  assert.equal(readPurging(measured(41, 0.9)).purging, 'retained');
  assert.equal(readPurging(measured(20, 1)).purging, 'retained');
});

test('the reading carries the figures it was judged on', () => {
  const r = readPurging(measured(70, 30));
  assert.equal(r.rssFall, 50 * MiB);
  assert.equal(r.rssFallShare, 0.5);
  assert.equal(r.lazyShare, 0.3);
  assert.equal(r.unreclaimable, 40 * MiB);
});

test('probe --expect: 0 when it matches or is not given, 1 with one line when it differs', () => {
  assert.deepEqual([probeVerdict('lazy').exitCode, probeVerdict('lazy').lines], [0, []]);
  assert.deepEqual([probeVerdict('eager', 'eager').exitCode, probeVerdict('eager', 'eager').lines], [0, []]);
  const v = probeVerdict('retained', 'lazy');
  assert.deepEqual([v.outcome, v.exitCode, v.lines.length], ['expect-failed', 1, 1]);
});
