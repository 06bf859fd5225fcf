// Decay you can see, in real runs of the madv-free build, 400 players, two thirds leave and nothing happens
// after (no messages, state freed at logout):
//   starved   5.0.1, no background thread: no purge in any arena after the ramp-down, dirty pages stay
//   running   5.3.0, background_thread:true, short decays: dirty pages decay within seconds, purges in the hold
//   lazy      5.0.1, background_thread:true, muzzy_decay_ms:-1: dirty pages go muzzy (MADV_FREE) and stay
//             (with a finite muzzy decay, 30 s once, jemalloc's smoothstep lets the background thread purge a
//             little muzzy early: in one fresh-clone CI run it did, right after the ramp-down, and the diagnosis
//             rightly said "running, not caught up"; -1 is the case this test is about: pages that stay)
// (5.0.1's background thread is not reliable here: in one of three runs it left 19 MiB dirty for the whole
// 12 s hold, so the case that needs decay to finish runs on 5.3.0.)
// Each gets the matching diagnosis and decay metrics; the breakdown adds up on 5.0.1 although its resident
// counts the muzzy pages (a version-blind one would be off by them). The ramp up and the peak hold are short
// (they only fill the heap); the ramp-down and the 12 s hold after it, where decay is timed, are unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../../src/results/sample.js';
import { breakdownCheck, worstGapShare } from '../../src/analysis/breakdown-check.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { checkExpectations } from '../../src/analysis/expect.js';
import { metricDef } from '../../src/analysis/metrics.js';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { requireBuilds } from '../alloc/builds.js';
import { needsVendor, require501, VENDOR_501 } from '../native/vendor.js';
import { tolerance } from './fixtures.js';
import { readNdjson } from '../helpers/ndjson.js';

requireBuilds('madv-free');
require501();
const skip = needsVendor('jemalloc-5.0.1');

const HOLD_MS = 12_000;
const scenarioText = `name: decay-cases
server:
  state: { objects: 60 }
  logout_free_delay: 0s
variants:
  - name: starved
    build: madv-free
    jemalloc: ${VENDOR_501}
    malloc_conf: dirty_decay_ms:1000,muzzy_decay_ms:4000
  - name: running
    build: madv-free
    malloc_conf: dirty_decay_ms:1000,muzzy_decay_ms:4000,background_thread:true
  - name: lazy
    build: madv-free
    jemalloc: ${VENDOR_501}
    malloc_conf: dirty_decay_ms:1000,muzzy_decay_ms:-1,background_thread:true
load:
  rate: 0.5
  phases:
    - ramp: { to: 400, over: 5s }
    - hold: 3s
    - ramp: { to: 33%, over: 3s, rate: 0 }
    - hold: { for: ${HOLD_MS}ms, rate: 0 }
record:
  interval: 500ms
`;

test(
  'starved, running and MADV_FREE-held decay: matching diagnosis and decay metrics (jemalloc 5.0.1 and 5.3.0)',
  { skip, timeout: 300_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simload-decay-'));
    const file = join(dir, 'decay.yaml');
    await writeFile(file, scenarioText);
    const { scenario, text } = await loadScenario(file);
    scenario.expect = [
      { variant: 'starved', metric: 'dirty_decay_time', op: '>', value: 10_000, source: 'dirty_decay_time > 10s' },
      { variant: 'running', metric: 'dirty_decay_time', op: '<', value: 5_000, source: 'dirty_decay_time < 5s' },
    ];
    // Side by side: three light servers (synthetic state, no messages after the peak), whose decay runs per process.
    const r = await runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true, parallel: true });
    assert.equal(r.exitCode, 0, 'complete; `never` passes `> 10s` and the running decay passes `< 5s`');
    const by = new Map(r.summary.variants.map((v) => [v.variant, v]));
    // A run that did not deliver its load measures nothing: the players were there at the peak.
    const samples = readNdjson<Sample>(join(r.dir, 'samples.ndjson'));
    for (const v of r.summary.variants) {
      assert.ok(Math.abs(v.peakOnline - 400) <= tolerance(400), `${v.variant}: peak online ${v.peakOnline} of 400`);
      const peakHold = samples.filter((s) => s.variant === v.variant && s.phaseIndex === 1);
      assert.ok(
        peakHold.length > 0 && Math.abs(peakHold.at(-1)!.online - 400) <= tolerance(400),
        `${v.variant}: online during the peak hold ${peakHold.map((s) => s.online).join(',')}`,
      );
    }
    const decayTime = metricDef('dirty_decay_time')!;
    const gap = metricDef('max_purge_gap')!;

    const starved = by.get('starved')!;
    assert.ok(starved.decay, 'per-arena decay recorded');
    assert.equal(starved.decay.dirtyDecayNever, true, 'dirty pages never fell below 10% of their peak');
    assert.equal(decayTime.get(starved), Infinity, 'reported as never, not 0');
    assert.equal(starved.decay.purgesSinceRampDown, 0);
    // No purge in the whole final hold: the gap is the hold, as sampled (first to last sample in it).
    const inHold = samples.filter((s) => s.variant === 'starved' && s.phaseIndex === 3);
    assert.equal(gap.get(starved), inHold.at(-1)!.t - inHold[0]!.t);
    assert.ok(
      gap.get(starved)! >= HOLD_MS - 2000,
      `starved: max purge gap ${gap.get(starved)} ms, the hold is ${HOLD_MS} ms`,
    );
    assert.ok(starved.decay.dirtyPeak > 15 * 2 ** 20, `dirty peak ${starved.decay.dirtyPeak}`);
    assert.match(
      diagnose(starved),
      /decay starved: no purge in any arena since the ramp-down \(\d+ s\), [\d.]+ MiB dirty/,
    );

    const running = by.get('running')!;
    assert.ok(running.decay);
    assert.equal(running.decay.dirtyDecayNever, false);
    assert.ok(
      running.decay.dirtyDecayTimeMs !== null && running.decay.dirtyDecayTimeMs < 5000,
      `running: dirty decay time ${running.decay.dirtyDecayTimeMs}`,
    );
    assert.ok(running.decay.purgesSinceRampDown! > 0);
    assert.ok(
      gap.get(running)! < gap.get(starved)! - 2000,
      `running: max purge gap ${gap.get(running)} vs starved ${gap.get(starved)}`,
    );
    assert.doesNotMatch(diagnose(running), /decay starved|MADV_FREE/);
    assert.ok(
      running.retention! < starved.retention!,
      `retention running ${running.retention} vs starved ${starved.retention}`,
    );

    const lazy = by.get('lazy')!;
    assert.ok(lazy.decay);
    assert.ok(lazy.decay.purgesSinceRampDown! > 0, 'the background thread purged dirty pages (to muzzy)');
    assert.ok(lazy.lazyFree.peak > 15 * 2 ** 20, `lazy: LazyFree peak ${lazy.lazyFree.peak}`);
    assert.match(diagnose(lazy), /MADV_FREE: [\d.]+ MiB LazyFree, muzzy decay has (not|never) run in arenas? [\d, ]+/);

    // Version-aware breakdown: 5.0.1's resident includes muzzy; corrected, the parts match it at every sample.
    for (const v of ['starved', 'running', 'lazy']) {
      const rows = breakdownCheck(samples.filter((s) => s.variant === v));
      assert.ok(rows.length >= 40 && rows.every((x) => x.residentIncludesMuzzy === (v !== 'running')), v);
      assert.ok(
        worstGapShare(rows) <= 0.05,
        `${v}: breakdown off by ${(worstGapShare(rows) * 100).toFixed(2)}% of Rss`,
      );
    }
    const lazyRows = breakdownCheck(samples.filter((s) => s.variant === 'lazy'));
    const blind = Math.max(...lazyRows.map((x) => Math.abs(x.rawGapShare)));
    assert.ok(
      blind > 0.05,
      `with muzzy pages held, a version-blind reading of resident is off by ${(blind * 100).toFixed(1)}% of Rss`,
    );

    // The report has the decay panel: one chart per variant, the threads' arenas.
    const page = await readFile(join(r.dir, 'report.html'), 'utf8');
    assert.match(page, /Decay per arena/);
    for (const i of [0, 1, 2]) assert.match(page, new RegExp(`chart-decay-${i}`));
    assert.match(page, /threads \(thread\.arena\): main &rarr; arena \d+, tid \d+ &rarr; arena \d+/);

    // expect: sees `never` as a value.
    const res = checkExpectations(r.summary, [
      { variant: 'starved', metric: 'dirty_decay_time', op: '<', value: 60_000, source: 'dirty_decay_time < 60s' },
    ]);
    assert.equal(res[0]!.pass, false);
    assert.equal(res[0]!.actual, Infinity);
  },
);
