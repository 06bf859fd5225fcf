// The validity rules on hand-made samples: each tolerance at its edge, one sample of lag allowed, a second
// peak is not "late logins", old samples without `loaded` fall back to `online`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '../../src/results/sample.js';
import type { LatencySummary } from '../../src/results/layout.js';
import { checkValidity } from '../../src/analysis/validity.js';

const mk = (t: number, phaseIndex: number, target: number, loaded: number | null, stats = true): Sample =>
  ({
    v: 1,
    variant: 'x',
    t: t * 1000,
    wall: t,
    phaseIndex,
    phase: 'p',
    target,
    online: loaded ?? 0,
    ...(loaded === null ? {} : { loaded }),
    proc: { rss: 1, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
    alloc: stats
      ? { allocated: 1, active: 1, metadata: 0, resident: 1, mapped: 1, retained: 0, pdirty: 0, pmuzzy: 0 }
      : null,
    runtime: null,
  }) as Sample;
const check = (s: Sample[], latency: Record<string, LatencySummary> | null = null) =>
  checkValidity(s, latency, [], 'x', null);

test('a ramp followed one sample late is valid; a lag of two samples in 2 of 10 is not', () => {
  // After a baseline sample (target 0), each sample one behind the target.
  const ramp = [mk(-1, -1, 0, 0), ...Array.from({ length: 10 }, (_, i) => mk(i, 0, (i + 1) * 100, i * 100))];
  assert.deepEqual(check(ramp).reasons, []);
  const lag2 = ramp.map((s, i) => (i === 4 || i === 5 ? { ...s, loaded: (i - 3) * 100 } : s));
  const v = check(lag2);
  assert.equal(v.valid, false);
  assert.match(v.reasons[0]!, /^phase 0:p: the server held less than 95% of the target in 2 of 10 samples/);
  // One short sample of 10 is within the 10%.
  assert.equal(check(ramp.map((s, i) => (i === 4 ? { ...s, loaded: 100 } : s))).valid, true);
});

test('5% and 2 players of slack: 96 of 100 is fine, 94 is short; 8 of 10 is fine (2 players)', () => {
  assert.equal(check([mk(0, 0, 100, 100), mk(1, 0, 100, 96), mk(2, 0, 100, 96)]).valid, true);
  assert.equal(check([mk(0, 0, 100, 100), mk(1, 0, 100, 94), mk(2, 0, 100, 94)]).valid, false);
  assert.equal(check([mk(0, 0, 10, 10), mk(1, 0, 10, 8), mk(2, 0, 10, 8)]).valid, true);
});

test('errors above 1% of attempts, and samples without stats above 10%, make a run invalid', () => {
  const ok = [mk(0, 0, 10, 10), mk(1, 0, 10, 10)];
  const lat = (count: number, errors: number) => ({ '0:p': { count, errors, connectFailures: 0 } as LatencySummary });
  assert.equal(check(ok, lat(990, 10)).valid, true);
  assert.match(check(ok, lat(989, 11)).reasons[0]!, /^11 errors and connect failures in 1000 message attempts/);
  const some = Array.from({ length: 10 }, (_, i) => mk(i, 0, 10, 10, i !== 0));
  assert.equal(check(some).valid, true);
  const more = Array.from({ length: 10 }, (_, i) => mk(i, 0, 10, 10, i > 1));
  assert.match(check(more).reasons.join('\n'), /2 of 10 samples without allocator stats/);
});

test('late logins: the server still climbing while the target falls; a second peak is not late', () => {
  const late = [mk(0, 0, 100, 100), mk(1, 1, 100, 100), mk(2, 2, 66, 100), mk(3, 2, 33, 60), mk(4, 3, 33, 33)];
  assert.equal(check(late).valid, true, 'logouts lagging is not late logins');
  const climbing = [mk(0, 0, 100, 95), mk(1, 1, 100, 96), mk(2, 2, 66, 99), mk(3, 2, 33, 104), mk(4, 3, 33, 33)];
  const v = check(climbing);
  assert.match(
    v.reasons.join('\n'),
    /late logins: the server reached 104 players at 3\.0 s, after the target had started to fall at 2\.0 s \(it held 96 then/,
  );
  assert.equal(v.lateLoginsAtMs, 3000);
  const twoPeaks = [
    mk(0, 0, 100, 99),
    mk(1, 1, 66, 70),
    mk(2, 1, 33, 35),
    mk(3, 2, 100, 96),
    mk(4, 2, 200, 196),
    mk(5, 3, 200, 200),
  ];
  assert.deepEqual(check(twoPeaks).reasons, []);
});

test('runs recorded before `loaded` existed are judged by `online`', () => {
  const old = [mk(0, 0, 100, null), mk(1, 0, 100, null)].map((s) => ({ ...s, online: 50 }));
  assert.equal(check(old).valid, false);
  assert.equal(check(old.map((s) => ({ ...s, online: 100 }))).valid, true);
});
