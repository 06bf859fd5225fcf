// Drift over a folder with downsampled older samples: fitted to one sample a period, so the recent day at full
// resolution does not outweigh the older ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunData } from '../../src/analysis/load.js';
import { summarize } from '../../src/analysis/summary.js';
import type { RunMeta } from '../../src/results/layout.js';
import type { Sample } from '../../src/results/sample.js';
import { watchSample as sample } from '../helpers/sample.js';

const MiB = 2 ** 20;
const HOUR = 3_600_000;

test('drift with downsampled samples: six flat hours kept one a minute and a last hour at 1 s rising 60 MiB/h', () => {
  const older: Sample[] = [];
  for (let t = 0; t < 6 * HOUR; t += 60_000) older.push(sample(t + 59_000, 100));
  const full: Sample[] = [];
  for (let t = 6 * HOUR; t <= 7 * HOUR; t += 1000) full.push(sample(t, 100 + ((t - 6 * HOUR) / HOUR) * 60));
  const meta: RunMeta = {
    tool: 'simload',
    version: '0',
    scenario: 'w',
    startedAt: '',
    endedAt: '',
    status: 'complete',
    variants: ['w'],
    parallel: false,
    host: { cpus: 1, memBytes: 1, kernel: '', node: '' },
    retention: { fullMs: HOUR, periodMs: 60_000 },
  };
  const run = (o: Pick<RunData, 'older' | 'meta'>): RunData => ({
    dir: '/x',
    scenario: null,
    samples: [...older, ...full],
    events: [],
    latency: null,
    plan: null,
    skippedLines: 0,
    ...o,
  });
  const even = summarize(run({ meta, older: { samples: older.length, untilMs: older.at(-1)!.t } })).variants[0]!.drift!;
  const uneven = summarize(run({ meta: { ...meta, retention: undefined }, older: null })).variants[0]!.drift!;
  // What the same watch kept at full resolution all along gives: every second of the six flat hours too.
  const flat: Sample[] = [];
  for (let t = 0; t < 6 * HOUR; t += 1000) flat.push(sample(t, 100));
  const truth = summarize({
    ...run({ meta: { ...meta, retention: undefined }, older: null }),
    samples: [...flat, ...full],
  }).variants[0]!.drift!;
  assert.equal(even.samples, 255 + 61, 'after the warm-up: 255 flat minutes and 61 rising ones');
  assert.ok(
    Math.abs(even.rss.perHour - truth.rss.perHour) < 0.1 * truth.rss.perHour,
    `evened ${(even.rss.perHour / MiB).toFixed(2)} MiB/h, full resolution ${(truth.rss.perHour / MiB).toFixed(2)}`,
  );
  assert.ok(
    uneven.rss.perHour > 2 * truth.rss.perHour,
    `unevened ${(uneven.rss.perHour / MiB).toFixed(2)} MiB/h: the last hour outweighs the six before`,
  );
});
