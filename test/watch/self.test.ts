// `simload watch --pid` on simload's own server during a short run: the watch's Rss and LazyFree curves match
// the run's own recorder (same /proc, sampled independently) within 5%, and the watch ends cleanly with the
// folder complete when the server exits at the run's end.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Sample } from '../../src/results/sample.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { ExpectRule } from '../../src/scenario/types.js';
import { runWatch } from '../../src/watch/run-watch.js';
import { tinyScenarioFile } from '../run/fixtures.js';
import { sink } from './helpers.js';
import { ndjson } from '../helpers/ndjson.js';

const MB = 1e6;

// 300 players x 40 objects of 8 KiB (~100 MB of state) on the madv-free build with muzzy decay off, so the
// ramp-down leaves LazyFree to compare.
const SCENARIO = `name: watched
server:
  threads: 2
  state:
    objects: 40
    sizes: [{ size: 8KiB, weight: 1 }]
  logout_free_delay: 0s
variants:
  - name: madv-free
    build: madv-free
    malloc_conf: dirty_decay_ms:200,muzzy_decay_ms:-1
load:
  rate: 2
  think_time: 200ms
  bot_workers: 2
  phases:
    - ramp: { to: 300, over: 3s }
    - hold: 2s
    - ramp: { to: 33%, over: 2s }
    - hold: 3s
record:
  interval: 250ms
  baseline: 750ms
`;

async function serverPid(resultsDir: string, deadline: number): Promise<{ runDir: string; pid: number }> {
  for (;;) {
    const dirs = await readdir(resultsDir).catch(() => [] as string[]);
    for (const d of dirs) {
      const text = await readFile(join(resultsDir, d, 'events.ndjson'), 'utf8').catch(() => '');
      const start = ndjson<RunEvent>(text).find((e) => e.type === 'variant-start');
      if (start && start.type === 'variant-start') return { runDir: join(resultsDir, d), pid: start.pid };
    }
    if (Date.now() > deadline) throw new Error('the run never wrote its server pid');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The run's two readings around `wall` (lowest and highest): the kernel's value at `wall` lies between them while
 * the curve moves one way between two samples. Null outside the run's span.
 */
function around(run: Sample[], wall: number, f: (s: Sample) => number): { lo: number; hi: number } | null {
  const i = run.findIndex((s) => s.wall >= wall);
  if (i < 0 || (i === 0 && run[0]!.wall !== wall)) return null;
  const a = f(run[Math.max(0, i - 1)]!);
  const b = f(run[i]!);
  return { lo: Math.min(a, b), hi: Math.max(a, b) };
}

/**
 * Within 5% of the run's curve: between its readings around that moment, give or take 5% of them, and at least
 * 1 MB (5% of zero is zero: the kernel moved a few pages of LazyFree between the two readers once, in CI).
 */
const within = (v: number, r: { lo: number; hi: number }) => {
  const slack = Math.max(0.05 * r.hi, MB);
  return v >= r.lo - slack && v <= r.hi + slack;
};

/** A threshold no run meets: checked, it would fail. */
const NEVER_MET: ExpectRule = { variant: null, metric: 'peak_rss', op: '<', value: 1, source: 'peak_rss < 1B' };

test(
  "watching simload's own server by pid gives the run recorder's Rss and LazyFree within 5%",
  { timeout: 180_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile(SCENARIO);
    const { scenario, text } = await loadScenario(file);
    const results = join(dir, 'results');
    const running = runScenario(scenario, text, { outDir: results, quiet: true });
    const { runDir, pid } = await serverPid(results, Date.now() + 60_000);
    const out = sink();
    const code = await runWatch({
      pid,
      cmd: null,
      name: 'watched',
      outDir: join(dir, 'watch'),
      intervalMs: 250,
      durationMs: null,
      console: null,
      inject: false,
      memIntervalMs: 0,
      onlineCmd: null,
      expect: [NEVER_MET],
      marks: null,
      out,
      signal: new AbortController().signal,
    });
    const r = await running;
    assert.equal(r.exitCode, 0);
    assert.equal(code, 3, 'the server exiting ends the watch with 3 (the process is gone)');
    // The verdict (analysis/verdict.ts): a watch that did not complete judges no threshold, not even one that fails.
    assert.match(out.text(), /^expect: not checked, the run failed$/m);
    assert.doesNotMatch(out.text(), /FAIL {2}|threshold\(s\)/);
    const watchDir = /folder (\S+)/.exec(out.text())![1]!;
    const meta = JSON.parse(await readFile(join(watchDir, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'failed');
    assert.equal(meta.error?.code, 'ERR_PROC_EXITED');

    const runSamples = ndjson<Sample>(await readFile(join(runDir, 'samples.ndjson'), 'utf8'));
    const watched = ndjson<Sample>(await readFile(join(watchDir, 'samples.ndjson'), 'utf8'));
    const pairs = watched
      .map((w) => ({
        w,
        rss: around(runSamples, w.wall, (s) => s.proc.rss),
        lazy: around(runSamples, w.wall, (s) => s.proc.lazyFree),
      }))
      .filter(
        (p): p is { w: Sample; rss: { lo: number; hi: number }; lazy: { lo: number; hi: number } } =>
          p.rss !== null && p.lazy !== null,
      );
    assert.ok(pairs.length >= 30, `${pairs.length} watch samples inside the run's span`);
    const peakRss = Math.max(...runSamples.map((s) => s.proc.rss));
    const peakLazy = Math.max(...runSamples.map((s) => s.proc.lazyFree));
    assert.ok(
      peakRss - runSamples[0]!.proc.rss > 60 * MB,
      `the run's Rss rose by ${(peakRss - runSamples[0]!.proc.rss) / MB} MB`,
    );
    assert.ok(peakLazy > 10 * MB, `the ramp-down left ${peakLazy / MB} MB LazyFree to compare`);
    const mb = (x: number) => (x / MB).toFixed(1);
    const off = pairs.filter((p) => !within(p.w.proc.rss, p.rss) || !within(p.w.proc.lazyFree, p.lazy));
    assert.deepEqual(
      off.map(
        (p) =>
          `t=${p.w.t} rss ${mb(p.w.proc.rss)} vs ${mb(p.rss.lo)}..${mb(p.rss.hi)}, LazyFree ${mb(p.w.proc.lazyFree)} vs ${mb(p.lazy.lo)}..${mb(p.lazy.hi)} MB`,
      ),
      [],
    );
    const watchPeak = Math.max(...watched.map((s) => s.proc.rss));
    assert.ok(Math.abs(watchPeak - peakRss) <= 0.05 * peakRss, `peak Rss ${watchPeak} vs the run's ${peakRss}`);
  },
);

test(
  'a watch of a process without allocator stats judges its thresholds on what it measured, not as an undelivered run',
  { timeout: 60_000 },
  async () => {
    // A plain process: no skynet console, so no allocator stats and no player counts. It was asked for no load,
    // so "samples without allocator stats" must not make it INVALID and fail every threshold (docs/watch.md).
    const { dir } = await tinyScenarioFile(SCENARIO);
    const out = sink();
    const rule = (metric: string, op: '<' | '>', value: number): ExpectRule => ({
      variant: null,
      metric,
      op,
      value,
      source: `${metric} ${op} ${value}`,
    });
    const code = await runWatch({
      pid: null,
      cmd: 'sleep 30',
      name: 'plain',
      outDir: join(dir, 'watch-plain'),
      intervalMs: 200,
      durationMs: 2000,
      console: null,
      inject: false,
      memIntervalMs: 0,
      onlineCmd: null,
      expect: [rule('peak_rss', '>', 1), rule('peak_rss', '<', 1)],
      marks: null,
      out,
      signal: new AbortController().signal,
    });
    assert.equal(code, 1, out.text());
    assert.doesNotMatch(out.text(), /INVALID|invalid run/);
    assert.match(out.text(), /pass +plain: peak_rss > 1 /);
    assert.match(out.text(), /FAIL +plain: peak_rss < 1 /);
  },
);
