// `simload watch` on a real skynet (cached build from ../shared/vendor): jemalloc's figures from the debug
// console's jmem, Lua memory from mem and /proc's Rss and LazyFree land in the folder, the summary measures
// between the marks, and the report draws it in Chromium. Then --skynet-inject, and a console that stops
// answering while the process lives (SIGSTOP).
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Sample } from '../../src/results/sample.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import type { Summary } from '../../src/analysis/summary.js';
import { runWatch } from '../../src/watch/run-watch.js';
import { withReportInChromium } from '../report/chromium.js';
import { needsVendor } from '../native/vendor.js';
import { markStream, sink, startWatchedSkynet } from './helpers.js';
import { ndjson } from '../helpers/ndjson.js';

const MB = 1e6;
const skip = needsVendor('skynet');

async function folder(dir: string) {
  return {
    meta: JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunMeta,
    samples: ndjson<Sample>(await readFile(join(dir, 'samples.ndjson'), 'utf8')),
    events: ndjson<RunEvent>(await readFile(join(dir, 'events.ndjson'), 'utf8')),
    summary: JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Summary,
  };
}

test(
  'watch a real skynet through its console: jmem, mem, Rss and LazyFree in the folder, drawn in Chromium',
  { skip, timeout: 300_000 },
  async () => {
    const sk = await startWatchedSkynet({
      recipe: 'madv-free',
      conf: 'dirty_decay_ms:500,muzzy_decay_ms:-1',
      env: { build_after_ms: 2000, hold_ms: 3000, strings: 150000 },
    });
    const marks = markStream();
    const ctl = new AbortController();
    const out = sink();
    try {
      const watching = runWatch({
        pid: sk.pid,
        cmd: null,
        name: 'skynet',
        outDir: await mkdtemp(join(tmpdir(), 'simload-watch-')),
        intervalMs: 250,
        durationMs: null,
        console: { host: '127.0.0.1', port: sk.port },
        inject: false,
        memIntervalMs: 0,
        onlineCmd: null,
        expect: [],
        marks,
        out,
        signal: ctl.signal,
      });
      await sk.printed('SIMLOAD built');
      marks.mark('peak');
      await sk.printed('SIMLOAD freed');
      marks.mark('down');
      await new Promise((r) => setTimeout(r, 1000));
      marks.mark('quiet');
      await new Promise((r) => setTimeout(r, 4000));
      ctl.abort('SIGINT');
      assert.equal(await watching, 130, 'Ctrl-C ends a watch with 130');
    } finally {
      await sk.stop();
    }
    const dir = /folder (\S+)/.exec(out.text())![1]!;
    const { meta, samples, events, summary } = await folder(dir);
    assert.equal(meta.status, 'interrupted');
    assert.deepEqual(
      events.filter((e) => e.type === 'phase').map((e) => (e.type === 'phase' ? e.phase : '')),
      ['peak', 'down', 'quiet'],
    );
    assert.ok(samples.length >= 30, `${samples.length} samples in ~9 s at 250 ms`);
    assert.ok(
      samples.every((s) => s.alloc?.source === 'skynet-jmem' && s.skynet?.consoleMs !== null),
      'every sample has jmem',
    );
    for (const s of samples) {
      const a = s.alloc!;
      assert.ok(
        a.allocated <= a.active && a.active <= a.resident && a.resident <= a.mapped,
        `jemalloc's order at t=${s.t}: ${JSON.stringify(a)}`,
      );
    }
    const phase = (p: string) => samples.filter((s) => s.phase === p);
    const maxOf = (xs: Sample[], f: (s: Sample) => number) => Math.max(...xs.map(f));
    const base = maxOf(phase('baseline').slice(0, 4), (s) => s.alloc!.allocated);
    const peak = maxOf(phase('peak'), (s) => s.alloc!.allocated);
    const after = phase('quiet').at(-1)!;
    // 3 services x 150 000 strings of ~206 bytes: ~100 MB of Lua state built, then dropped.
    assert.ok(peak - base > 80 * MB, `allocated rose by ${(peak - base) / MB} MB`);
    assert.ok(after.alloc!.allocated < base + 20 * MB, `allocated after the free: ${after.alloc!.allocated / MB} MB`);
    assert.ok(maxOf(phase('peak'), (s) => s.proc.rss) > peak, 'Rss at the peak holds what jemalloc allocated');
    // madv-free build, muzzy decay off: the freed pages stay in Rss as LazyFree.
    assert.ok(
      maxOf(phase('quiet'), (s) => s.proc.lazyFree) > 40 * MB,
      `LazyFree after the free: ${maxOf(phase('quiet'), (s) => s.proc.lazyFree) / MB} MB`,
    );
    let luaPeak = phase('peak')[0]!.skynet!;
    for (const s of phase('peak')) if ((s.skynet!.luaTotal ?? 0) > (luaPeak.luaTotal ?? 0)) luaPeak = s.skynet!;
    assert.ok(
      luaPeak.luaTotal! > 80 * MB && luaPeak.top[0]!.name === 'snlua holder',
      `mem: ${JSON.stringify(luaPeak.top.slice(0, 3))}`,
    );
    assert.ok(after.skynet!.luaTotal! < 10 * MB, `Lua total after the free: ${after.skynet!.luaTotal! / MB} MB`);

    const v = summary.variants[0]!;
    assert.equal(v.allocKind, 'jmem');
    assert.equal(v.settle?.phase, 'quiet');
    assert.ok(v.retention !== null && v.retention > 0.5, `LazyFree keeps Rss up: retention ${v.retention}`);
    assert.ok(v.settledBreakdown!.lazyFree > 40 * MB && v.settledBreakdown!.residentNotActive !== null);
    // Settled or "never settled" (LazyFree held): either way a ramp-down was found between the marks.
    assert.notEqual(v.settleState, 'unknown', 'a ramp-down was found between the marks');

    await withReportInChromium(join(dir, 'report.html'), async ({ problems, requests, charts, page }) => {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, []);
      const byId = new Map(charts.map((c) => [c.id, c]));
      for (const id of ['chart-memory', 'chart-breakdown-0', 'chart-skynet-0']) {
        const c = byId.get(id);
        assert.ok(c && c.inked > 5000, `${id} drawn (${c?.inked} pixels)`);
      }
      const mem = byId.get('chart-memory')!.series;
      assert.ok(mem.some((s) => s.name === 'skynet LazyFree' && s.points === samples.length));
      assert.ok(mem.some((s) => s.name === 'skynet allocated' && s.points === samples.length));
      assert.ok(!mem.some((s) => s.name === 'skynet online'), 'no online count given: memory is plotted without it');
      const parts = byId.get('chart-breakdown-0')!.series.map((s) => s.name);
      assert.deepEqual(parts, [
        'live (allocated)',
        'fragmentation (active - allocated)',
        'resident not active (dirty + metadata)',
        'LazyFree (MADV_FREE)',
        'rest (runtime, outside jemalloc)',
        'Rss',
      ]);
      assert.ok(
        byId.get('chart-skynet-0')!.series.some((s) => s.name === 'Lua total (mem)' && s.points === samples.length),
      );
      assert.match(await page.locator('table.skynet-top').first().innerText(), /snlua holder/);
    });
  },
);

test(
  '--skynet-inject reads decay settings and dirty/muzzy pages; a console that stops answering is an event, /proc goes on',
  { skip, timeout: 300_000 },
  async () => {
    const sk = await startWatchedSkynet({
      recipe: 'madv-free',
      conf: 'dirty_decay_ms:700,muzzy_decay_ms:3000',
      env: { build_after_ms: 500, hold_ms: 600000, strings: 50000 },
    });
    const ctl = new AbortController();
    const out = sink();
    let contAt = 0;
    try {
      const watching = runWatch({
        pid: sk.pid,
        cmd: null,
        name: 'injected',
        outDir: await mkdtemp(join(tmpdir(), 'simload-watch-')),
        intervalMs: 250,
        durationMs: null,
        console: { host: '127.0.0.1', port: sk.port },
        inject: true,
        memIntervalMs: 0,
        onlineCmd: null,
        expect: [],
        marks: null,
        out,
        signal: ctl.signal,
      });
      await sk.printed('SIMLOAD built');
      await new Promise((r) => setTimeout(r, 1500));
      sk.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 3000));
      contAt = Date.now();
      sk.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 1500));
      ctl.abort('SIGINT');
      assert.equal(await watching, 130);
    } finally {
      sk.child.kill('SIGCONT');
      await sk.stop();
    }
    const dir = /folder (\S+)/.exec(out.text())![1]!;
    const { samples, events } = await folder(dir);
    const injected = samples.filter((s) => s.skynet?.mallctl);
    assert.ok(injected.length >= 8, `${injected.length} samples with inject`);
    const mc = injected[0]!.skynet!.mallctl!;
    assert.equal(mc['opt.dirty_decay_ms'], 700, 'the decay set in JE_MALLOC_CONF, read inside the server');
    assert.equal(mc['opt.muzzy_decay_ms'], 3000);
    for (const s of injected) {
      assert.equal(s.alloc!.source, undefined, 'with pdirty, pmuzzy and metadata the full jemalloc breakdown applies');
      assert.equal(
        s.alloc!.pdirty,
        s.skynet!.mallctl!['stats.arenas.4096.pdirty']! * s.skynet!.mallctl!['arenas.page']!,
      );
      assert.ok(s.alloc!.metadata > 0);
    }
    // Stopped for 3 s: samples go on from /proc without allocator stats, one event says so, and jmem comes back.
    // Judged on samples begun at least 500 ms before SIGCONT (a console read waits at most 250 ms, a reconnect as
    // long), so that no read in the window could have been answered after the process went on: a window counted
    // from the event alone once took in a sample answered after SIGCONT.
    const lost = events.filter((e) => e.type === 'error' && e.code === 'ERR_CONSOLE_LOST');
    assert.equal(lost.length, 1, JSON.stringify(events));
    const lostAt = lost[0]!.wall;
    const during = samples.filter((s) => s.wall >= lostAt && s.wall < contAt - 500);
    assert.ok(
      during.length >= 2 && during.every((s) => s.alloc === null && s.proc.rss > 0),
      `samples while stopped: ${JSON.stringify(during.map((s) => [s.wall - lostAt, s.alloc !== null]))}`,
    );
    assert.ok(samples.at(-1)!.alloc !== null, 'the console answers again after SIGCONT');
  },
);
