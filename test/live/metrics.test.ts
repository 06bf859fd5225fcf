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
import { PART_LABELS } from '../../src/live/metrics.js';
import { BREAKDOWN_PARTS, breakdown } from '../../src/report/breakdown.js';
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

test('/metrics serves the last sample of a real server, in base units, with OpenMetrics types', { timeout: 90_000 }, async () => {
  const base = await mkdtemp(join(tmpdir(), 'simload-live-metrics-'));
  const server = await launchServer({ options: { ...defaultServerOptions(), threads: 2 }, variant: { name: 'madv-free', build: 'madv-free', mallocConf: 'dirty_decay_ms:100,muzzy_decay_ms:-1' } });
  const live = new LiveOutputs({ metrics: { host: '127.0.0.1', port: 0, exposed: false }, page: null });
  try {
    await live.start();
    const writer = await RunWriter.create(base, 'metrics-test', { scenario: 'metrics-test', variants: ['madv-free'], parallel: false, host: { cpus: 2, memBytes: 0, kernel: '', node: '' } });
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
      assert.equal(m.get(`simload_jemalloc_arena_purged_pages_total{variant="madv-free",arena="${a.arena}",state="dirty"}`), a.dirtyPurged);
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
});

test('latency so far per phase as quantile gauges in seconds; counters follow running totals', { timeout: 30_000 }, async () => {
  const live = new LiveOutputs({ metrics: { host: '127.0.0.1', port: 0, exposed: false }, page: null });
  await live.start();
  try {
    const phase = (count: number, p50: number) => ({ count, p50, p90: 2 * p50, p99: 3 * p50, p999: 4 * p50, max: 5 * p50, mean: p50, rate: 0, errors: 1, connectFailures: 0, histogram: '' });
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
});
