// Drift on computed series: the slope, its interval, the autocorrelation correction, the window, and the
// `rss_slope` rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_HOUR, driftSummary, fitSlope, tQuantile975 } from '../../src/analysis/drift.js';
import { phaseSpans } from '../../src/analysis/phases.js';
import { summarizeVariant } from '../../src/analysis/summary.js';
import { checkExpectations } from '../../src/analysis/expect.js';
import { parseExpectRule } from '../../src/scenario/expect.js';
import type { ExpectRule, Phase } from '../../src/scenario/types.js';
import { scenarioOf, series } from '../helpers/series.js';
import { summaryOf } from '../helpers/summary.js';

const MiB = 2 ** 20;

/** Deterministic noise in [-1, 1] (a linear congruential generator: the same series every run). */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return (x / 2 ** 31) * 2 - 1;
  };
}

test("Student's t quantiles within 0.5% of the tables", () => {
  for (const [df, t] of [
    [2, 4.303],
    [3, 3.182],
    [5, 2.571],
    [10, 2.228],
    [30, 2.042],
    [1000, 1.962],
  ] as const) {
    assert.ok(Math.abs(tQuantile975(df) / t - 1) < 0.005, `df ${df}: ${tQuantile975(df)} against ${t}`);
  }
});

test('a straight line is found exactly; noise widens the interval around it', () => {
  const x = Array.from({ length: 100 }, (_, i) => i / 100);
  const exact = fitSlope(
    x,
    x.map((h) => 500 * MiB + 10 * MiB * h),
  )!;
  assert.ok(Math.abs(exact.perHour - 10 * MiB) < 1e-3);
  assert.ok(Math.abs(exact.high! - exact.low!) < 1e-3);
  const r = noise(7);
  const noisy = fitSlope(
    x,
    x.map((h) => 500 * MiB + 10 * MiB * h + 4 * MiB * r()),
  )!;
  assert.ok(noisy.low! < 10 * MiB && noisy.high! > 10 * MiB, `10 MiB/h outside [${noisy.low}, ${noisy.high}]`);
  // Uniform noise of +-4 MiB over 100 samples an hour apart in all: the slope's standard error is about
  // 4 / sqrt(3) / sqrt(sum (x - mean)^2) = 2.31 / 2.87 = 0.8 MiB/h.
  assert.ok(noisy.stdError! > 0.5 * MiB && noisy.stdError! < 1.2 * MiB, `stdError ${noisy.stdError! / MiB} MiB/h`);
});

test('correlated noise (a random walk) is not taken for independent samples', () => {
  const x = Array.from({ length: 200 }, (_, i) => i / 200);
  const r = noise(11);
  let walk = 0;
  const y = x.map(() => 500 * MiB + (walk += MiB * r()));
  const s = fitSlope(x, y)!;
  assert.ok(s.lag1 > 0.5, `lag-1 autocorrelation ${s.lag1}`);
  // The same residuals shuffled out of order: the interval is narrower by about sqrt(n / n_eff).
  const order = x.map((_, i) => (i * 73) % 200);
  const shuffled = fitSlope(
    x,
    order.map((i) => y[i]!),
  )!;
  assert.ok(shuffled.lag1 < 0.3);
  assert.ok(s.stdError! > 1.5 * shuffled.stdError!, `${s.stdError} against ${shuffled.stdError}`);
});

const SOAK: Phase[] = [
  { kind: 'ramp', to: { count: 100 }, durationMs: 10_000 },
  { kind: 'hold', durationMs: 120_000 },
];

test('the window is the final hold after its warm-up; a leak is far outside a flat run', () => {
  const r = noise(3);
  // 2 MiB per second of leak after a 30 s warm-up in which Rss jumps about: 7 GiB/h.
  const leak = series(
    SOAK,
    (k, i) => (k === 0 ? 100 + i * 10 : 200 + (i < 30 ? 50 * r() : 2 * i + r())),
    () => 100,
  );
  const spans = phaseSpans(leak);
  const d = driftSummary(leak, spans[2]!, 30_000)!;
  assert.equal(d.window, 'final-hold');
  assert.equal(d.warmupMs, 30_000);
  assert.equal(d.fromMs, spans[2]!.fromMs + 30_000);
  assert.equal(d.samples, 90);
  assert.ok(Math.abs(d.rss.perHour / (2 * MiB * 3600) - 1) < 0.01, `slope ${d.rss.perHour / MiB} MiB/h`);
  assert.equal(d.allocated, null);
  // Default warm-up: a quarter of the hold.
  assert.equal(driftSummary(leak, spans[2]!, undefined)!.warmupMs, 29_750);

  const rules = ['rss_slope < 500MiB/h', 'rss_slope_low < 500MiB/h'].map((t) => parseExpectRule(t, null) as ExpectRule);
  const flat = series(
    SOAK,
    (k, i) => (k === 0 ? 100 + i * 10 : 200 + r()),
    () => 100,
  );
  const judge = (samples: typeof flat) => {
    const v = summarizeVariant(
      'v',
      samples,
      [],
      { ...scenarioOf(SOAK, rules), record: { intervalMs: 1000, warmupMs: 30_000 } },
      null,
    );
    const [point, low] = checkExpectations(summaryOf(v), rules);
    assert.equal(low!.actual, v.drift!.rss.low);
    assert.ok(low!.actual! < point!.actual!);
    assert.equal(low!.pass, point!.pass);
    return point!;
  };
  const bad = judge(leak);
  const good = judge(flat);
  assert.equal(bad.pass, false);
  assert.ok(bad.actual! > 7000 * MiB);
  assert.equal(good.pass, true);
  assert.ok(Math.abs(good.actual!) < 100 * MiB, `flat slope ${good.actual! / MiB} MiB/h`);
});

test('too few samples: no slope; without phases the whole recording after a quarter', () => {
  const short = series(
    SOAK.slice(0, 1),
    () => 100,
    () => 100,
  ).slice(0, 12);
  assert.equal(driftSummary(short, null, 5000), null);
  const watch = series(
    [],
    () => 100,
    () => 0,
  );
  for (let i = 0; i < 40; i++)
    watch.push({ ...watch[0]!, t: 6000 + i * 1000, proc: { ...watch[0]!.proc, rss: (100 + i) * MiB } });
  const d = driftSummary(watch, null, undefined)!;
  assert.equal(d.window, 'whole');
  assert.equal(d.warmupMs, Math.round(45_000 / 4));
  assert.ok(Math.abs(d.rss.perHour - MiB * (MS_PER_HOUR / 1000)) < 1);
});

test("a watched skynet's services: each one's slope, fastest first; one seen too rarely is left out", () => {
  const samples = series(
    [],
    () => 100,
    () => 0,
  );
  const base = samples[0]!;
  const watch: typeof samples = [];
  for (let i = 0; i < 80; i++) {
    const t = i * 1000;
    const top = [
      { address: ':0000000a', name: 'snlua agent', bytes: 2 * MiB + (i * 10 * MiB) / 3600 }, // 10 MiB/h
      { address: ':0000000b', name: 'snlua watchdog', bytes: 4 * MiB + ((i % 2) * MiB) / 4 }, // flat, noisy
      ...(i % 2 === 0 ? [{ address: ':0000000c', name: 'snlua cache', bytes: 8 * MiB + i * MiB }] : []), // half the samples
    ];
    watch.push({ ...base, t, phaseIndex: -1, skynet: { consoleMs: 1, luaTotal: null, luaServices: top.length, top } });
  }
  const d = driftSummary(watch, null, undefined)!;
  assert.deepEqual(
    d.services!.map((s) => s.address),
    [':0000000a', ':0000000b'],
  );
  const agent = d.services![0]!;
  assert.equal(agent.name, 'snlua agent');
  assert.equal(agent.samples, 60);
  assert.ok(Math.abs(agent.perHour / (10 * MiB) - 1) < 1e-9, `${agent.perHour / MiB} MiB/h`);
  assert.ok(Math.abs(d.services![1]!.perHour) < MiB, `the watchdog is flat: ${d.services![1]!.perHour / MiB} MiB/h`);
  const rule = parseExpectRule('service_slope < 5MiB/h', null) as ExpectRule;
  const v = summarizeVariant('v', watch, [], null, null);
  const res = checkExpectations(summaryOf(v), [rule])[0]!;
  assert.equal(res.pass, false);
  assert.ok(Math.abs(res.actual! / (10 * MiB) - 1) < 1e-9);
});
