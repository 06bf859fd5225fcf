// Size draws: deterministic per seed and login ordinal, with the mean the profile claims; options checked
// up front with exact messages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServerOptions } from '../../src/server/defaults.js';
import { distributionMean, drawPlayerSizes, profileMeanBytes, Rng, SizeSampler } from '../../src/server/profile.js';
import { serverOptionsProblems } from '../../src/server/validate.js';

test('default profile: 100-200 KiB per player, so 10 000 players make 1-2 GiB', () => {
  const mean = profileMeanBytes(defaultServerOptions().profile);
  assert.ok(mean >= 100 * 1024 && mean <= 200 * 1024, `mean ${mean}`);
  assert.ok(mean * 10_000 >= 2 ** 30 && mean * 10_000 <= 2 * 2 ** 30);
});

test('draws are deterministic per (seed, ordinal) and differ between players', () => {
  const p = defaultServerOptions().profile;
  assert.deepEqual(drawPlayerSizes(p, 7, 3), drawPlayerSizes(p, 7, 3));
  assert.notDeepEqual(drawPlayerSizes(p, 7, 3), drawPlayerSizes(p, 7, 4));
  assert.notDeepEqual(drawPlayerSizes(p, 7, 3), drawPlayerSizes(p, 8, 3));
});

test('empirical means match distributionMean (classes exact, clipped log-normal numeric)', () => {
  const dists = [
    defaultServerOptions().profile.sizes,
    { kind: 'lognormal' as const, median: 1024, sigma: 1.2, min: 16, max: 40 * 1024 },
    { kind: 'lognormal' as const, median: 256, sigma: 1, min: 16, max: 8 * 1024 },
  ];
  for (const d of dists) {
    const s = new SizeSampler(d);
    const rng = new Rng(42);
    let sum = 0;
    const n = 400_000;
    for (let i = 0; i < n; i++) sum += s.draw(rng);
    assert.ok(
      Math.abs(sum / n / distributionMean(d) - 1) < 0.02,
      `${d.kind}: drew mean ${sum / n}, expected ${distributionMean(d)}`,
    );
  }
  assert.equal(
    distributionMean({
      kind: 'classes',
      classes: [
        { size: 100, weight: 1 },
        { size: 300, weight: 3 },
      ],
    }),
    250,
  );
});

test('server options: every problem listed with its path', () => {
  assert.deepEqual(serverOptionsProblems(defaultServerOptions()), []);
  const bad = defaultServerOptions();
  bad.threads = 100;
  bad.agent = 'pool';
  bad.poolSize = 0;
  bad.port = 70000;
  bad.profile.sizes = { kind: 'lognormal', median: 10, sigma: 1, min: 50, max: 40 };
  bad.churn.reallocRate = 2;
  assert.deepEqual(serverOptionsProblems(bad), [
    'threads: must be an integer from 1 to 64, got 100',
    "poolSize: must be an integer >= 1 with agent 'pool', got 0",
    'port: must be an integer from 0 to 65535 (0 = any free port), got 70000',
    'profile.sizes: min (50) is above max (40)',
    'churn.reallocRate: must be a probability from 0 to 1, got 2',
  ]);
  // A JSON config (simload serve) is checked like a scenario: free-first workers are some of the workers.
  const ff = defaultServerOptions();
  ff.threads = 4;
  ff.freeFirstWorkers = 4;
  assert.deepEqual(serverOptionsProblems(ff), []);
  ff.freeFirstWorkers = 5;
  assert.deepEqual(serverOptionsProblems(ff), ['freeFirstWorkers: must be an integer from 0 to threads (4), got 5']);
});
