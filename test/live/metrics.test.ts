// /metrics against a real server (madv-free jemalloc) sampled by the real recorder: every value it serves is the
// last sample's, in base units, the breakdown adds up to Rss, counters follow the server's running totals, per-arena
// series come per arena, and a variant that ended has no series left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder } from '../../src/recorder/recorder.js';
import type { Sample } from '../../src/results/sample.js';
import { RunWriter } from '../../src/results/writer.js';
import { LiveOutputs } from '../../src/live/outputs.js';
import { PART_LABELS, SampleMetrics } from '../../src/live/metrics.js';
import { BREAKDOWN_PARTS, breakdown } from '../../src/analysis/breakdown.js';
import { defaultServerOptions } from '../../src/server/defaults.js';
import { launchServer } from '../../src/server/launch.js';

/** `name{labels} value` lines of an exposition, keyed by name and labels as written. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

test(
  '/metrics serves the last sample of a real server, in base units, with OpenMetrics types',
  { timeout: 90_000 },
  async () => {
    const base = await mkdtemp(join(tmpdir(), 'simload-live-metrics-'));
    const server = await launchServer({
      options: { ...defaultServerOptions(), threads: 2 },
      variant: { name: 'madv-free', build: 'madv-free', mallocConf: 'dirty_decay_ms:100,muzzy_decay_ms:-1' },
    });
    const live = new LiveOutputs({ metrics: { host: '127.0.0.1', port: 0, exposed: false }, page: null });
    try {
      await live.start();
      const writer = await RunWriter.create(base, 'metrics-test', {
        scenario: 'metrics-test',
        variants: ['madv-free'],
        parallel: false,
        host: { cpus: 2, memBytes: 0, kernel: '', node: '' },
      });
      live.attach(writer, null);
      const recorder = new Recorder({ writer, intervalMs: 200 });
      const samples: Sample[] = [];
      recorder.on('sample', (s: Sample) => samples.push(s));
      recorder.track('madv-free', server, () => ({ phaseIndex: 0, phase: 'hold', target: 0 }));
      while (samples.length < 4) await new Promise((r) => setTimeout(r, 100));
      await recorder.untrack('madv-free');
      const last = samples.at(-1)!;
      assert.ok(last.alloc?.arenas && last.alloc.arenas.length > 0, 'a real jemalloc sample has per-arena stats');

      const res = await fetch(live.urls.metrics!);
      assert.equal(res.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      const text = await res.text();
      assert.ok(text.endsWith('# EOF\n'));
      assert.match(text, /^# TYPE simload_server_messages counter$/m);
      assert.match(text, /^# TYPE simload_rss_bytes gauge$/m);
      const m = parse(text);
      const v = '{variant="madv-free"}';
      assert.equal(m.get(`simload_rss_bytes${v}`), last.proc.rss);
      assert.equal(m.get(`simload_lazyfree_bytes${v}`), last.proc.lazyFree);
      assert.equal(m.get(`simload_vm_hwm_bytes${v}`), last.proc.vmHWM);
      assert.equal(m.get(`simload_online_players${v}`), last.online);
      assert.equal(m.get(`simload_sample_timestamp_seconds${v}`), last.wall / 1000);
      assert.equal(m.get(`simload_samples_total${v}`), samples.length);
      assert.equal(m.get(`simload_server_logins_total${v}`), last.server!.logins);
      assert.equal(m.get(`simload_jemalloc_allocated_bytes${v}`), last.alloc!.allocated);
      assert.equal(m.get(`simload_jemalloc_dirty_bytes${v}`), last.alloc!.pdirty);
      assert.equal(m.get(`simload_phase_info{variant="madv-free",phase="hold"}`), 1);
      // Every part of the breakdown, adding up to Rss.
      const b = breakdown(last);
      let sum = 0;
      for (const p of BREAKDOWN_PARTS) {
        const got = m.get(`simload_rss_breakdown_bytes{variant="madv-free",part="${PART_LABELS[p]}"}`);
        assert.equal(got, b[p] ?? undefined, p);
        sum += got ?? 0;
      }
      assert.equal(sum, last.proc.rss);
      for (const a of last.alloc!.arenas!) {
        assert.equal(m.get(`simload_jemalloc_arena_dirty_bytes{variant="madv-free",arena="${a.arena}"}`), a.pdirty);
        assert.equal(
          m.get(`simload_jemalloc_arena_purged_pages_total{variant="madv-free",arena="${a.arena}",state="dirty"}`),
          a.dirtyPurged,
        );
      }

      // The variant ends: its series are gone.
      writer.appendEvent({ type: 'variant-end', variant: 'madv-free', wall: Date.now(), t: 0 });
      const after = await (await fetch(live.urls.metrics!)).text();
      assert.doesNotMatch(after, /variant="madv-free"/);
      await writer.finish('complete');
    } finally {
      await live.close();
      await server.stop();
      await rm(base, { recursive: true, force: true });
    }
  },
);

test(
  'latency so far per phase as quantile gauges in seconds; counters follow running totals',
  { timeout: 30_000 },
  async () => {
    const live = new LiveOutputs({ metrics: { host: '127.0.0.1', port: 0, exposed: false }, page: null });
    await live.start();
    try {
      const phase = (count: number, p50: number) => ({
        count,
        p50,
        p90: 2 * p50,
        p99: 3 * p50,
        p999: 4 * p50,
        max: 5 * p50,
        mean: p50,
        rate: 0,
        errors: 1,
        connectFailures: 0,
        histogram: '',
      });
      live.latency('v', { '0:ramp': phase(100, 1500) });
      live.latency('v', { '0:ramp': phase(250, 2000) });
      const m = parse(await (await fetch(live.urls.metrics!)).text());
      assert.equal(m.get('simload_bot_latency_seconds{variant="v",phase="0:ramp",quantile="0.5"}'), 0.002);
      assert.equal(m.get('simload_bot_latency_seconds{variant="v",phase="0:ramp",quantile="0.99"}'), 0.006);
      assert.equal(m.get('simload_bot_latency_max_seconds{variant="v",phase="0:ramp"}'), 0.01);
      assert.equal(m.get('simload_bot_messages_answered_total{variant="v",phase="0:ramp"}'), 250);
      assert.equal(m.get('simload_bot_errors_total{variant="v",phase="0:ramp"}'), 1);
    } finally {
      await live.close();
    }
  },
);

test("jemalloc's series only from jemalloc: a watched skynet's console and inject yes, glibc's mallinfo2 no", async () => {
  const m = new SampleMetrics();
  const proc = { rss: 100 << 20, lazyFree: 0, anonymous: 90 << 20, anonHugePages: 0, vmHWM: 100 << 20 };
  const base = {
    v: 1 as const,
    t: 0,
    wall: 1_000_000,
    phaseIndex: -1,
    phase: 'baseline',
    target: 0,
    online: 0,
    proc,
    runtime: null,
  };
  const alloc = {
    allocated: 10 << 20,
    active: 12 << 20,
    metadata: 0,
    resident: 14 << 20,
    mapped: 20 << 20,
    retained: 0,
    pdirty: 0,
    pmuzzy: 0,
  };
  // `watch --skynet-console`: jmem alone (metadata, dirty, muzzy unknown) ...
  const cmem = {
    total: 7 << 20,
    blocks: 1200,
    live: { count: 2, bytes: 3 << 20, top: [{ address: ':0000000a', name: 'snlua agent', bytes: 2 << 20 }] },
    exited: { count: 1, bytes: 4 << 20, top: [{ address: ':0000000c', name: 'snlua leaker', bytes: 4 << 20 }] },
    unlisted: { count: 0, bytes: 0, top: [] },
  };
  m.observe({
    ...base,
    variant: 'jmem',
    alloc: { ...alloc, source: 'skynet-jmem' },
    skynet: {
      consoleMs: 2,
      luaTotal: 5 << 20,
      luaServices: 3,
      top: [{ address: ':0000000a', name: 'agent', bytes: 1 << 20 }],
      cmem,
    },
  });
  // ... with --skynet-inject: dirty, muzzy, metadata and each arena's decay ...
  const arenas = [
    {
      arena: 0,
      pdirty: 4096,
      pmuzzy: 8192,
      dirtyNpurge: 3,
      dirtyNmadvise: 4,
      dirtyPurged: 5,
      muzzyNpurge: 0,
      muzzyNmadvise: 0,
      muzzyPurged: 0,
    },
  ];
  m.observe({
    ...base,
    variant: 'inject',
    alloc: { ...alloc, metadata: 1 << 20, pdirty: 4096, pmuzzy: 8192, arenas },
    skynet: { consoleMs: 2, luaTotal: null, luaServices: 0, top: [] },
  });
  // ... and simload's glibc variant, whose bridge fills allocated, active, resident from mallinfo2.
  m.observe({ ...base, variant: 'glibc', alloc });
  const got = parse(await m.text());
  assert.equal(got.get('simload_jemalloc_allocated_bytes{variant="jmem"}'), 10 << 20);
  assert.equal(got.get('simload_jemalloc_dirty_bytes{variant="jmem"}'), undefined, 'jmem does not tell dirty pages');
  assert.equal(
    got.get('simload_skynet_service_lua_bytes{variant="jmem",service="agent",address=":0000000a"}'),
    1 << 20,
  );
  // cmem: the total, each group, and the largest holders named, an exited one too.
  assert.equal(got.get('simload_skynet_cmem_bytes{variant="jmem"}'), 7 << 20);
  assert.equal(got.get('simload_skynet_cmem_group_bytes{variant="jmem",group="exited"}'), 4 << 20);
  assert.equal(got.get('simload_skynet_cmem_group_services{variant="jmem",group="live"}'), 2);
  assert.equal(
    got.get('simload_skynet_service_c_bytes{variant="jmem",group="exited",service="snlua leaker",address=":0000000c"}'),
    4 << 20,
  );
  assert.equal(got.get('simload_skynet_cmem_bytes{variant="inject"}'), undefined, 'no cmem read, no series');
  assert.equal(got.get('simload_jemalloc_dirty_bytes{variant="inject"}'), 4096);
  assert.equal(got.get('simload_jemalloc_arena_muzzy_bytes{variant="inject",arena="0"}'), 8192);
  assert.equal(got.get('simload_jemalloc_arena_purge_sweeps_total{variant="inject",arena="0",state="dirty"}'), 3);
  assert.equal(got.get('simload_jemalloc_allocated_bytes{variant="glibc"}'), undefined);
  assert.equal(got.get('simload_rss_breakdown_bytes{variant="glibc",part="live"}'), 10 << 20);
});
