// Metrics from the hand-made run folder against values worked out by hand from its README's numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRun } from '../../src/report/load.js';
import { summarize, settleTime, type VariantSummary } from '../../src/report/summary.js';
import { FIXTURE_DIR, MiB } from './helpers.js';

const near = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
};

async function variants(): Promise<Record<string, VariantSummary>> {
  const s = summarize(await loadRun(FIXTURE_DIR));
  assert.equal(s.schema, 'simload.summary');
  assert.equal(s.v, 1);
  assert.equal(s.scenario, 'fixture-ramp');
  assert.deepEqual(s.variants.map((v) => v.variant), ['madv-free', 'no-madv-free', 'glibc']);
  return Object.fromEntries(s.variants.map((v) => [v.variant, v]));
}

test('madv-free: Rss kept as LazyFree, taken back under pressure', async () => {
  const v = (await variants())['madv-free']!;
  assert.equal(v.samples, 51);
  assert.equal(v.allocKind, 'jemalloc');
  assert.equal(v.samplesWithoutAlloc, 1);
  near(v.baselineRss, 100 * MiB, 'baseline = median(99, 101, 100)');
  near(v.peakRss, 300 * MiB, 'peak');
  assert.equal(v.peakRssAtMs, 15_000);
  assert.equal(v.peakOnline, 100);
  // Final hold is phase 3 (28..47 s): last tenth = t >= 45.1 s = the samples at 46 and 47 s.
  assert.deepEqual(v.settle, { phaseIndex: 3, phase: 'hold', fromMs: 46_000, toMs: 47_000, samples: 2 });
  near(v.settledRss, 280 * MiB, 'settled');
  near(v.retention, (280 - 100) / (300 - 100), 'retention 0.9');
  near(v.lazyFreeShare, 140 / 280, 'LazyFree share 0.5');
  near(v.dirtyShare, 14 / 280, 'dirty share 0.05');
  near(v.unreclaimableRss, 140 * MiB, 'unreclaimable = 280 - 140');
  near(v.fragmentation, (75 + 11 + 14) / 50, 'resident / allocated = 2');
  near(v.bytesPerPlayer, (200 * MiB) / 100, 'bytes per player');
  near(v.liveBytesPerPlayer, (200 * MiB) / 100, 'live bytes per player (210 - 10 MiB allocated)');
  // Ramp-down ends at the phase-3 event (27.5 s); Rss is within 5% of 280 from then on.
  assert.equal(v.rampDownEndMs, 27_500);
  assert.equal(v.timeToSettleMs, 0);
  assert.deepEqual(v.lazyFree, {
    peak: 140 * MiB,
    peakAtMs: 27_000,
    maxShareOfRss: 0.5,
    maxInFinalHold: 140 * MiB,
    maxInFinalHoldShareOfPeakRss: 140 / 300,
    reclaimedAtMs: 48_000,
    reclaimedPhase: '4:pressure',
  });
  assert.deepEqual(v.settledBreakdown, {
    kind: 'jemalloc',
    rss: 280 * MiB,
    live: 50 * MiB,
    fragmentation: 25 * MiB,
    dirty: 14 * MiB,
    metadata: 11 * MiB,
    residentNotActive: null,
    lazyFree: 140 * MiB,
    rest: 40 * MiB,
  });
  // Latency: worst phase per percentile, us -> ms; messages/s = 4000 messages / (10 + 10 + 20) s.
  assert.deepEqual(v.worstLatency, { p50: 1.5, p90: 3, p99: 8, p999: 10, max: 20 });
  assert.equal(v.latency['1:hold']!.p99, 8);
  near(v.messagesPerSecond, 100, 'messages/s');
  // 1 client error + 2 connect failures + 1 error event.
  assert.equal(v.errors, 4);
});

test('no-madv-free: Rss falls, settles 3.5 s after the ramp-down', async () => {
  const v = (await variants())['no-madv-free']!;
  near(v.settledRss, 130 * MiB, 'settled');
  near(v.retention, 30 / 200, 'retention 0.15');
  near(v.dirtyShare, 6.5 / 130, 'dirty share');
  near(v.fragmentation, (60 + 11 + 6.5) / 50, 'fragmentation 1.55');
  assert.equal(v.lazyFreeShare, 0);
  assert.equal(v.lazyFree.peak, 0);
  assert.equal(v.lazyFree.reclaimedAtMs, null);
  // Band 130 +- 6.5 MiB: 140 MiB at 30 s is out, 135 MiB at 31 s is in and it stays in. 31 s - 27.5 s.
  assert.equal(v.timeToSettleMs, 3_500);
  assert.equal(v.errors, 0);
  assert.deepEqual(v.worstLatency, { p50: 1, p90: 2, p99: 5, p999: 9, max: 12 });
});

test('glibc: only allocated is known; no latency falls back to server counters', async () => {
  const v = (await variants())['glibc']!;
  assert.equal(v.allocKind, 'allocated-only');
  near(v.retention, 0.5, 'retention');
  assert.equal(v.fragmentation, null);
  assert.equal(v.dirtyShare, null);
  // No phase events: the ramp-down ends at the first sample of phase 3 (28 s).
  assert.equal(v.rampDownEndMs, 28_000);
  assert.equal(v.timeToSettleMs, 0);
  assert.equal(v.worstLatency, null);
  // Server message counter: 100 at 3 s, 3600 at 50 s.
  near(v.messagesPerSecond, (3500 * 1000) / 47_000, 'messages/s from counters');
  assert.deepEqual(v.settledBreakdown, { kind: 'allocated-only', rss: 200 * MiB, live: 50 * MiB, fragmentation: null, dirty: null, metadata: null, residentNotActive: null, lazyFree: 0, rest: 150 * MiB });
});

test('settleTime: null when Rss never stays in the band, first in-for-good sample otherwise', () => {
  const mk = (t: number, rssMiB: number) => ({ t, proc: { rss: rssMiB * MiB } }) as never;
  const s = [mk(0, 200), mk(1000, 150), mk(2000, 101), mk(3000, 120), mk(4000, 100), mk(5000, 104)];
  assert.equal(settleTime(s, 0, 5000, 100 * MiB), 4000); // 120 at 3 s leaves the band: settled from 4 s
  assert.equal(settleTime(s, 0, 5000, 50 * MiB), null);
  assert.equal(settleTime(s, 4000, 5000, 100 * MiB), 0);
});

test('a folder cut by a crash still loads: torn lines are skipped and noted', async () => {
  const { fixtureCopy } = await import('./helpers.js');
  const { appendFile, rm } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const dir = await fixtureCopy();
  await appendFile(join(dir, 'samples.ndjson'), '{"v":1,"variant":"madv-free","t":51000,"wall":17');
  const run = await loadRun(dir);
  assert.equal(run.samples.length, 153);
  assert.equal(run.skippedLines, 1);
  const s = summarize(run);
  assert.match(s.notes.join('\n'), /1 unreadable line\(s\) skipped/);
  assert.equal(s.variants[0]!.retention, 0.9);
  await appendFile(join(dir, 'samples.ndjson'), '\n{"v":2,"variant":"x"}\n');
  await assert.rejects(loadRun(dir), { code: 'ERR_SAMPLE_VERSION' });
  await rm(dirname(dir), { recursive: true, force: true });
});
