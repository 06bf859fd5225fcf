import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Sample } from '../../src/results/sample.js';
import type { LatencyFile, RunEvent, RunMeta } from '../../src/results/layout.js';
import { TINY_PEAK, reportFolder, tinyScenarioFile, tolerance, watchMachineLoad } from './fixtures.js';
import { ndjson } from '../helpers/ndjson.js';

test(
  'a tiny scenario runs end to end and the sampled online counts follow the phases',
  { timeout: 90_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile();
    const { scenario, text } = await loadScenario(file);
    scenario.expect = [{ variant: null, metric: 'errors', op: '<', value: 1, source: 'errors < 1' }];
    const stopWatching = watchMachineLoad();
    const r = await runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true });
    const machine = stopWatching();
    // A machine too busy for the server to keep up makes the run INVALID (exit 4): that is validity working, and
    // is excused only when the cores were measurably oversubscribed. Then the samples are not held to 2%.
    if (r.exitCode === 4) {
      assert.ok(
        machine.busy,
        `INVALID on a machine that was not busy (median ${machine.runnable} runnable threads on ${machine.cores} cores): ${JSON.stringify(r.summary.invalid)}`,
      );
    } else assert.equal(r.exitCode, 0, 'a complete run with passing thresholds exits 0');
    const strict = r.exitCode === 0 && !machine.busy;

    const meta = JSON.parse(await readFile(join(r.dir, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'complete');
    const samples = ndjson<Sample>(await readFile(join(r.dir, 'samples.ndjson'), 'utf8'));
    const inPhases = samples.filter((s) => s.phaseIndex >= 0 && s.phaseIndex < scenario.load.phases.length);
    // 250 ms interval over ~10.5 s of phases: about 40 samples.
    assert.ok(inPhases.length >= 25, `only ${inPhases.length} samples during the phases`);
    const off = inPhases.filter((s) => strict && Math.abs(s.online - s.target) > tolerance(s.target));
    assert.deepEqual(
      off.map((s) => `${s.phase}#${s.phaseIndex} t=${s.t} online ${s.online} target ${s.target}`),
      [],
      'every sample within 2% (or 5 players) of the target',
    );
    // The phases really happened: a peak at the count, a third of it at the end, a baseline without players.
    assert.ok(samples.filter((s) => s.phaseIndex === -1).every((s) => s.online === 0 && s.target === 0));
    const hold1 = inPhases.filter((s) => s.phaseIndex === 1);
    assert.ok(hold1.length >= 4);
    for (const s of hold1)
      if (strict) assert.ok(Math.abs(s.online - TINY_PEAK) <= tolerance(TINY_PEAK), `hold at ${s.online}`);
    const last = inPhases.filter((s) => s.phaseIndex === 3);
    assert.ok(last.length >= 4);
    for (const s of last)
      if (strict)
        assert.ok(Math.abs(s.online - 99) <= 5, `final hold at ${s.online}, expected 33% of ${TINY_PEAK} = 99`);
    // However busy the machine, the last hold's count is a third of the peak's by its end.
    assert.ok(Math.abs(last.at(-1)!.online - 99) <= 5, `final hold ended at ${last.at(-1)!.online}, expected 99`);
    // Mid-ramp samples are between the ends (arrivals spread, not all at once).
    const ramp = inPhases.filter((s) => s.phaseIndex === 0);
    assert.ok(
      ramp.some((s) => s.online > 30 && s.online < 270),
      `no sample mid-ramp: ${ramp.map((s) => s.online).join(',')}`,
    );

    // Events: phases in order, one variant start and end.
    const events = ndjson<RunEvent>(await readFile(join(r.dir, 'events.ndjson'), 'utf8'));
    const phases = events
      .filter((e): e is Extract<RunEvent, { type: 'phase' }> => e.type === 'phase')
      .map((e) => `${e.phaseIndex}:${e.phase}`);
    assert.deepEqual(phases, ['-1:baseline', '0:ramp', '1:hold', '2:ramp', '3:hold', '4:done']);
    assert.equal(events.filter((e) => e.type === 'variant-start').length, 1);
    assert.equal(events.filter((e) => e.type === 'variant-end').length, 1);

    // Latency: per phase, counts near rate x players x time, no errors.
    const latency = JSON.parse(await readFile(join(r.dir, 'latency.json'), 'utf8')) as LatencyFile;
    const hold = latency.variants.glibc!['1:hold']!;
    // 2 msgs/s x 300 players x 2 s = 1 200 expected.
    assert.ok((!strict || hold.count > 700) && hold.count < 1700, `hold answered ${hold.count} messages`);
    assert.ok(hold.p50 > 0 && hold.p50 <= hold.p99 && hold.p99 <= hold.max);
    assert.equal(hold.errors, 0);
    assert.equal(hold.connectFailures, 0);

    // The report was rendered from the folder.
    const v = r.summary.variants[0]!;
    assert.equal(v.variant, 'glibc');
    assert.ok(Math.abs(v.peakOnline - TINY_PEAK) <= tolerance(TINY_PEAK));
    await readFile(join(r.dir, 'report.html'), 'utf8');

    // Rendered again from the folder, it ends as the run did.
    const again = reportFolder(r.dir);
    assert.equal(again.code, r.exitCode, again.out + again.err);
    if (r.exitCode === 0) assert.match(again.out, /expect: all 1 threshold\(s\) passed/);
  },
);

test('a failed threshold exits 1 and names it; --junit writes the failure', { timeout: 90_000 }, async () => {
  const { dir, file } = await tinyScenarioFile();
  const { scenario, text } = await loadScenario(file);
  // Shorter: only the first ramp and a hold.
  scenario.load.phases = scenario.load.phases.slice(0, 2);
  scenario.expect = [{ variant: 'glibc', metric: 'peak_rss', op: '<', value: 1024, source: 'peak_rss < 1KiB' }];
  const chunks: string[] = [];
  const out = new (await import('node:stream')).Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  const junit = join(dir, 'junit.xml');
  const r = await runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true, junit, out });
  // On a machine too busy for the bots to follow the ramp the run is INVALID (exit 4, validity.test.ts):
  // the threshold must fail either way, never pass.
  if (r.exitCode === 4) assert.equal(r.summary.valid, false, 'exit 4 only for an invalid run');
  else assert.equal(r.exitCode, 1);
  assert.match(chunks.join(''), /FAIL {2}glibc: peak_rss < 1KiB/);
  assert.match(await readFile(junit, 'utf8'), /<failure message="peak_rss &lt; 1KiB failed for glibc/);
  // Rendered again from the folder, it ends as the run did (1, or 4 on a machine too busy).
  const again = reportFolder(r.dir);
  assert.equal(again.code, r.exitCode, again.out + again.err);
  assert.match(again.out, /FAIL {2}glibc: peak_rss < 1KiB/);
});
