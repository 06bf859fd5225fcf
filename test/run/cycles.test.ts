// Cycles in a real run: a `repeat:` of two day-night cycles (400 players, two thirds leave, back again) on the
// madv-free build. The per-cycle figures are checked against the samples the run wrote, worked out here again,
// and the players really came back for the second peak. About 35 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../../src/results/sample.js';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { requireBuilds } from '../alloc/builds.js';
import { tolerance } from './fixtures.js';
import { readNdjson } from '../helpers/ndjson.js';

requireBuilds('madv-free');

const PEAK = 400;
const text = `name: cycles
server:
  threads: 2
  state:
    objects: 60
    sizes: [{ size: 1KiB, weight: 1 }]
  logout_free_delay: 0s
variants:
  - name: je
    build: madv-free
    malloc_conf: dirty_decay_ms:1000,muzzy_decay_ms:1000
load:
  rate: 1
  think_time: 200ms
  bot_workers: 1
  phases:
    - repeat:
        times: 2
        phases:
          - ramp: { to: ${PEAK}, over: 4s }
          - hold: 3s
          - ramp: { to: 33%, over: 3s }
          - hold: 4s
record:
  interval: 250ms
  baseline: 1s
expect:
  - cycle_peak_ratio < 100
  - reuse >= 0
`;

test(
  'two day-night cycles: per-cycle peaks, troughs and reuse from the samples written',
  { timeout: 180_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simload-cycles-'));
    const file = join(dir, 'cycles.yaml');
    await writeFile(file, text);
    const { scenario, text: yaml } = await loadScenario(file);
    assert.equal(scenario.load.phases.length, 8);
    const r = await runScenario(scenario, yaml, { outDir: join(dir, 'results'), quiet: true });
    const v = r.summary.variants[0]!;
    // Not asserted: the load check (a loaded machine can delay the bots' first connections past the first ramp);
    // what is asserted is that the players came, went and came back, and what the cycles make of the samples.
    assert.ok(r.exitCode === 0 || r.exitCode === 4, `exit ${r.exitCode}`);
    const c = v.cycles!;
    assert.ok(c, 'cycles measured');
    assert.deepEqual(
      c.cycles.map((x) => [x.fromPhase, x.toPhase]),
      [
        [0, 3],
        [4, 7],
      ],
    );
    const samples = readNdjson<Sample>(join(r.dir, 'samples.ndjson'));
    for (const [k, cycle] of c.cycles.entries()) {
      const mine = samples.filter((s) => s.phaseIndex >= 4 * k && s.phaseIndex <= 4 * k + 3);
      assert.equal(cycle.peakRss, Math.max(...mine.map((s) => s.proc.rss)), `cycle ${k + 1}: peak Rss`);
      assert.equal(cycle.peakOnline, Math.max(...mine.map((s) => s.online)), `cycle ${k + 1}: peak online`);
      assert.ok(
        Math.abs(cycle.peakOnline - PEAK) <= tolerance(PEAK),
        `cycle ${k + 1}: ${cycle.peakOnline} players at the peak`,
      );
      assert.ok(cycle.trough, `cycle ${k + 1} has a trough`);
      assert.ok(
        Math.abs(cycle.trough.online - 132) <= 5,
        `cycle ${k + 1}: ${cycle.trough.online} players in the night`,
      );
      const night = mine.filter((s) => s.phaseIndex === 4 * k + 3 && s.t >= cycle.trough!.fromMs);
      assert.ok(night.length >= 1 && night.every((s) => s.t <= cycle.trough!.toMs));
    }
    const [first, second] = c.cycles as [(typeof c.cycles)[0], (typeof c.cycles)[0]];
    // The player state is 60 KiB a player: the first climb grows Rss by at least 400 x 60 KiB.
    assert.ok(first.peakRss - v.baselineRss > PEAK * 60 * 1024, `first climb ${first.peakRss - v.baselineRss} bytes`);
    assert.equal(second.peakRatio, second.peakRss / first.peakRss);
    assert.equal(second.growth, second.peakRss - first.trough!.rss);
    const perPlayer = (first.peakRss - v.baselineRss) / first.peakOnline;
    assert.equal(c.bytesPerPlayer, perPlayer);
    assert.ok(Math.abs(second.need! - perPlayer * (second.peakOnline - first.trough!.online)) < 1);
    assert.ok(
      Math.abs(second.reuse! - Math.min(1, Math.max(0, 1 - Math.max(0, second.growth!) / second.need!))) < 1e-12,
    );
    assert.equal(c.reuse, second.reuse);
    assert.equal(c.peakRatio, second.peakRatio);
    // The same players, the same allocator: the second evening needs about what the first did.
    assert.ok(second.peakRatio > 0.8 && second.peakRatio < 1.25, `second peak ${second.peakRatio} of the first`);
  },
);
