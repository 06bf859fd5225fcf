// Metrics from the hand-made run folder against values worked out by hand from its README's numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRun } from '../../src/analysis/load.js';
import { summarize, settleTime, type VariantSummary } from '../../src/analysis/summary.js';
import { FIXTURE_DIR, MiB, SETTLED_BREAKDOWN } from '../helpers/run-fixture.js';

const near = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
};

async function variants(): Promise<Record<string, VariantSummary>> {
  const s = summarize(await loadRun(FIXTURE_DIR));
  assert.equal(s.schema, 'simload.summary');
  assert.equal(s.v, 2);
  assert.equal(s.scenario, 'fixture-ramp');
  assert.deepEqual(
    s.variants.map((v) => v.variant),
    ['madv-free', 'no-madv-free', 'glibc'],
  );
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
  near(v.residentPerAllocated, (75 + 11 + 14) / 50, 'resident / allocated = 2');
  near(v.bytesPerPlayer, (200 * MiB) / 100, 'bytes per player');
  near(v.liveBytesPerPlayer, (200 * MiB) / 100, 'live bytes per player (210 - 10 MiB allocated)');
  // Ramp-down ends at the phase-3 event (27.5 s). Rss fell 300 -> 280 MiB of a 200 MiB swing (10%): it never
  // settled (summary v1 said 0 ms here, the best score, for memory that never came back).
  assert.equal(v.rampDownEndMs, 27_500);
  assert.equal(v.timeToSettleMs, null);
  assert.equal(v.settleState, 'never');
  assert.deepEqual(v.lazyFree, {
    peak: 140 * MiB,
    peakAtMs: 27_000,
    maxShareOfRss: 0.5,
    maxInFinalHold: 140 * MiB,
    maxInFinalHoldShareOfPeakRss: 140 / 300,
    reclaimedAtMs: 48_000,
    reclaimedPhase: '4:pressure',
  });
  assert.deepEqual(v.settledBreakdown, SETTLED_BREAKDOWN);
  // Latency: worst phase per percentile, us -> ms; messages/s = 4000 messages / (10 + 10 + 20) s.
  assert.deepEqual(v.worstLatency, { p50: 1.5, p90: 3, p99: 8, p999: 10, max: 20 });
  assert.equal(v.latency['1:hold']!.p99, 8);
  near(v.messagesPerSecond, 100, 'messages/s');
  // 1 client error + 2 connect failures + 1 error event.
  assert.equal(v.errors, 4);
});

test('no-madv-free: Rss falls, settles 2.5 s after the ramp-down (90% of its fall)', async () => {
  const v = (await variants())['no-madv-free']!;
  near(v.settledRss, 130 * MiB, 'settled');
  near(v.retention, 30 / 200, 'retention 0.15');
  near(v.dirtyShare, 6.5 / 130, 'dirty share');
  near(v.residentPerAllocated, (60 + 11 + 6.5) / 50, 'fragmentation 1.55');
  assert.equal(v.lazyFreeShare, 0);
  assert.equal(v.lazyFree.peak, 0);
  assert.equal(v.lazyFree.reclaimedAtMs, null);
  // 90% of the fall 300 -> 130 MiB: Rss <= 147 MiB, first at 30 s (140 MiB). 30 s - 27.5 s.
  assert.equal(v.timeToSettleMs, 2_500);
  assert.equal(v.settleState, 'settled');
  assert.equal(v.errors, 0);
  assert.deepEqual(v.worstLatency, { p50: 1, p90: 2, p99: 5, p999: 9, max: 12 });
});

test('glibc: only allocated is known; no latency falls back to server counters', async () => {
  const v = (await variants())['glibc']!;
  assert.equal(v.allocKind, 'allocated-only');
  near(v.retention, 0.5, 'retention');
  assert.equal(v.residentPerAllocated, null);
  assert.equal(v.dirtyShare, null);
  // No phase events: the ramp-down ends at the first sample of phase 3 (28 s).
  assert.equal(v.rampDownEndMs, 28_000);
  assert.equal(v.timeToSettleMs, 0);
  assert.equal(v.settleState, 'settled');
  assert.equal(v.worstLatency, null);
  // Server message counter: 100 at 3 s, 3600 at 50 s.
  near(v.messagesPerSecond, (3500 * 1000) / 47_000, 'messages/s from counters');
  assert.deepEqual(v.settledBreakdown, {
    kind: 'allocated-only',
    rss: 200 * MiB,
    live: 50 * MiB,
    fragmentation: null,
    dirty: null,
    metadata: null,
    residentNotActive: null,
    lazyFree: 0,
    rest: 150 * MiB,
  });
});

test('settleTime: 90% of the fall from the peak; "never" when Rss did not fall, never 0', () => {
  const mk = (t: number, rssMiB: number) => ({ t, proc: { rss: rssMiB * MiB } }) as never;
  // Ramp-down 0..2 s, peak 200, settled 100: 90% of the fall = Rss <= 110 MiB.
  const s = [mk(0, 200), mk(1000, 190), mk(2000, 180), mk(3000, 150), mk(4000, 109), mk(5000, 104), mk(6000, 100)];
  assert.deepEqual(settleTime(s, 200 * MiB, 2000, 6000, 100 * MiB, 50 * MiB), { ms: 2000 }); // 109 at 4 s
  // Fell during the ramp-down already: 0.
  const early = [mk(0, 200), mk(1000, 105), mk(2000, 101), mk(3000, 100)];
  assert.deepEqual(settleTime(early, 200 * MiB, 1500, 3000, 100 * MiB, 50 * MiB), { ms: 0 });
  // Never fell: 200 -> 195 of a 150 MiB swing (3%): never settled, not 0.
  const flat = [mk(0, 200), mk(1000, 199), mk(2000, 197), mk(3000, 195), mk(4000, 195)];
  assert.deepEqual(settleTime(flat, 200 * MiB, 1000, 4000, 195 * MiB, 50 * MiB), { ms: null });
  // Fell, but not to 90% by the end of the window.
  const slow = [mk(0, 200), mk(1000, 190), mk(2000, 170), mk(3000, 150)];
  assert.deepEqual(settleTime(slow, 200 * MiB, 1000, 2000, 140 * MiB, 50 * MiB), { ms: null });
});

test('a folder cut by a crash still loads: torn lines are skipped and noted', async () => {
  const { fixtureCopy } = await import('../helpers/run-fixture.js');
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

test('a sample with missing fields is skipped and noted, not a TypeError', async () => {
  const { fixtureCopy } = await import('../helpers/run-fixture.js');
  const { appendFile, rm } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const dir = await fixtureCopy();
  await appendFile(
    join(dir, 'samples.ndjson'),
    '{"v":1,"variant":"madv-free","t":52000,"wall":1,"phaseIndex":4,"phase":"pressure","target":33,"online":33}\n{"v":1,"variant":"glibc","t":52000,"proc":{"rss":"x"}}\n',
  );
  const run = await loadRun(dir);
  assert.equal(run.samples.length, 153);
  assert.equal(run.skippedLines, 2);
  const s = summarize(run);
  assert.match(s.notes.join('\n'), /2 unreadable line\(s\) skipped/);
  await rm(dirname(dir), { recursive: true, force: true });
});

test('a variant of run.json without samples is left out, noted once, and makes a complete run invalid', async () => {
  const run = await loadRun(FIXTURE_DIR);
  const s = summarize({ ...run, meta: { ...run.meta!, variants: [...run.meta!.variants, 'gone', 'gone'] } });
  assert.deepEqual(
    s.variants.map((v) => v.variant),
    ['madv-free', 'no-madv-free', 'glibc'],
  );
  assert.equal(s.notes.filter((n) => n === 'variant gone: no samples').length, 1);
  assert.ok(s.invalid?.includes('gone: no samples'));
});
