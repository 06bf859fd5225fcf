// The chart thinning that keeps report.html bounded for a long watch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartSamples, CHART_POINTS } from '../../src/report/thin.js';
import type { Sample } from '../../src/results/sample.js';

test('chartSamples: a week at 10 s becomes at most CHART_POINTS samples that keep the highest and lowest Rss', () => {
  const week: Sample[] = [];
  for (let t = 0; t < 7 * 86_400_000; t += 10_000) {
    const rss = t === 3 * 86_400_000 + 170_000 ? 9e9 : t === 5 * 86_400_000 ? 1 : 1e8 + (t % 13_000);
    week.push({
      v: 1,
      variant: 'w',
      t,
      wall: t,
      phaseIndex: -1,
      phase: 'baseline',
      target: 1,
      online: 0,
      proc: { rss, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
      alloc: null,
      runtime: null,
    });
  }
  const drawn = chartSamples(week);
  assert.ok(drawn.length <= CHART_POINTS && drawn.length >= CHART_POINTS / 2, `${drawn.length} points`);
  assert.ok(
    drawn.some((s) => s.proc.rss === 9e9) && drawn.some((s) => s.proc.rss === 1),
    'the spike and the dip are drawn',
  );
  assert.ok(drawn.every((s, i) => i === 0 || s.t > drawn[i - 1]!.t));
  const few = week.slice(0, 100);
  assert.deepEqual(chartSamples(few), few, 'fewer than CHART_POINTS: all of them');
});
