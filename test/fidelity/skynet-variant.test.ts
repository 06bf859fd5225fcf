// A real skynet as a variant of `simload run`: a scenario with one simload variant and one `skynet: madv-free`
// variant (the cached peer build; the simload side on the peer's jemalloc 5.0.1 when built, the same agent script,
// players through skynet's gate) writes one run folder with the samples of both, one summary with both variants and the fidelity rows, and
// a report with both curves and the fidelity table. Without the peer's sources the run is refused before it starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ExitCode } from '../../src/errors.js';
import { findSourceBuild } from '../../src/native/jemalloc-build.js';
import { packageRoot } from '../../src/native/paths.js';
import { peerSources } from '../../src/native/peers.js';
import { recipeFor } from '../../src/native/recipes.js';
import { hashSource } from '../../src/native/source.js';
import type { FidelityTable } from '../../src/analysis/fidelity.js';
import type { Summary } from '../../src/analysis/summary.js';
import type { RunMeta } from '../../src/results/layout.js';
import type { Sample } from '../../src/results/sample.js';
import { BIN, requireBuilds } from '../alloc/builds.js';
import { readNdjson } from '../helpers/ndjson.js';
import { needsVendor } from '../native/vendor.js';

const MiB = 2 ** 20;
const PLAYERS = 150;
const RPG = join(packageRoot, 'scenarios', 'agents', 'rpg.lua');

/** One simload variant (`sim`, build madv-free of `jemalloc`) and one real skynet (`sky`), as YAML. */
function scenarioText(jemalloc: string | null): string {
  const conf = 'dirty_decay_ms:1000,muzzy_decay_ms:1000';
  return YAML.stringify({
    name: 'skyvar',
    server: { threads: 2, script: RPG },
    variants: [
      { name: 'sim', build: 'madv-free', ...(jemalloc ? { jemalloc } : {}), malloc_conf: conf },
      { name: 'sky', skynet: 'madv-free', malloc_conf: conf },
    ],
    load: {
      rate: 0.5,
      think_time: '500ms',
      phases: [
        { ramp: { to: PLAYERS, over: '4s' } },
        { hold: '3s' },
        { ramp: { to: '33%', over: '1s' } },
        { hold: '5s' },
      ],
    },
    record: { interval: '500ms', baseline: '2s' },
  });
}

function run(
  file: string,
  out: string,
  env: NodeJS.ProcessEnv = process.env,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'run', file, '--out', out, '--json'], {
    encoding: 'utf8',
    env,
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The peer's own jemalloc source when simload has a build of it (`simload build --source`, as CI makes), else null (5.3.0). */
function peerJemalloc(): string | null {
  const src = peerSources()?.jemalloc;
  return src && findSourceBuild(recipeFor('madv-free')!, hashSource(src)) ? src : null;
}

test(
  'simload run: a simload variant and a real skynet variant in one folder, one report, the fidelity rows',
  { skip: needsVendor('skynet'), timeout: 300_000 },
  () => {
    requireBuilds('madv-free');
    const out = mkdtempSync(join(tmpdir(), 'simload-skyvar-'));
    const file = join(out, 'skyvar.yaml');
    writeFileSync(file, scenarioText(peerJemalloc()));
    const r = run(file, out);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    const dirs = readdirSync(out).filter((d) => d.startsWith('skyvar-'));
    assert.equal(dirs.length, 1, 'one run folder');
    const dir = join(out, dirs[0]!);
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
    assert.deepEqual([meta.status, meta.variants], ['complete', ['sim', 'sky']]);

    // Both variants' samples, each following the plan to its peak.
    const samples = readNdjson<Sample>(join(dir, 'samples.ndjson'));
    for (const v of ['sim', 'sky']) {
      const mine = samples.filter((s) => s.variant === v);
      assert.ok(mine.length >= 20, `${v}: ${mine.length} samples`);
      assert.equal(Math.max(...mine.map((s) => s.online)), PLAYERS, `${v}: peak online`);
      assert.ok(
        mine.every((s) => s.alloc && s.alloc.allocated > 0),
        `${v}: jemalloc stats in every sample`,
      );
    }
    assert.ok(
      existsIn(dir, 'skynet-sky.log') && existsIn(dir, 'gate-client-sky.log'),
      'skynet keeps its own logs in the folder',
    );

    // The summary (stdout, and summary.json) has both variants and the fidelity table of the pair.
    const summary = JSON.parse(r.stdout) as Summary;
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')), summary);
    assert.deepEqual(
      summary.variants.map((v) => v.variant),
      ['sim', 'sky'],
    );
    assert.equal(summary.valid, true, summary.invalid?.join('; '));
    for (const v of summary.variants) {
      assert.equal(v.peakOnline, PLAYERS);
      // rpg.lua holds about 150 KiB per player: both servers grow by well over 5 MiB at 150 players.
      assert.ok(v.peakRss > v.baselineRss + 5 * MiB, `${v.variant}: peak ${v.peakRss}, baseline ${v.baselineRss}`);
      assert.ok(v.settledRss !== null && v.settledRss > 0, `${v.variant}: settled ${v.settledRss}`);
    }
    const tables = summary.fidelity as FidelityTable[];
    assert.deepEqual(
      tables.map((t) => [t.variant, t.skynet]),
      [['sim', 'sky']],
    );
    const t = tables[0]!;
    const row = (m: string) => t.rows.find((x) => x.metric === m)!;
    const sim = summary.variants[0]!;
    const sky = summary.variants[1]!;
    // The rows are the two variants' own figures, side by side.
    assert.deepEqual([row('peak Rss').simload, row('peak Rss').skynet], [sim.peakRss, sky.peakRss]);
    assert.deepEqual(
      [row('peak online').simload, row('peak online').skynet, row('peak online').ratio],
      [PLAYERS, PLAYERS, 1],
    );
    assert.equal(row('process Rss growth at the peak').skynet, sky.peakRss - sky.baselineRss);
    // Same script, same jemalloc, same players: the jemalloc side's peak is of the same order on both (a broken
    // pairing, e.g. a variant compared with itself or with nothing, gives exactly 1 or no value).
    const jem = row('peak jemalloc-side Rss');
    assert.ok(jem.simload! > 5 * MiB && jem.skynet! > 5 * MiB, `jemalloc-side peaks ${jem.simload}, ${jem.skynet}`);
    assert.ok(jem.ratio! > 0.4 && jem.ratio! < 2.5 && jem.ratio !== 1, `jemalloc-side peak ratio ${jem.ratio}`);
    assert.ok(
      t.rows.filter((x) => x.target).every((x) => typeof x.pass === 'boolean' || x.pass === null),
      'every target row judged',
    );
    assert.deepEqual(t.invalid, []);

    // The report: both variants' curves in the memory chart, and the fidelity table with every row.
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="simload-data">(.*?)<\/script>/s.exec(html)![1]!) as {
      charts: Array<{ id: string; option: { series: Array<{ name: string }> } }>;
    };
    const memory = data.charts.find((c) => c.id === 'chart-memory')!;
    for (const v of ['sim', 'sky'])
      assert.ok(
        memory.option.series.some((s) => s.name.startsWith(`${v} `)),
        `memory chart series ${memory.option.series.map((s) => s.name).join(', ')}`,
      );
    assert.match(html, /<table class="fidelity" data-simload="sim" data-skynet="sky">/);
    assert.equal((html.match(/<tr data-metric="/g) ?? []).length, t.rows.length);
  },
);

test('simload run: a skynet variant without the peer sources is refused before the run, exit 2, naming what is missing', () => {
  requireBuilds('madv-free');
  const out = mkdtempSync(join(tmpdir(), 'simload-skyvar-'));
  const file = join(out, 'skyvar.yaml');
  writeFileSync(file, scenarioText(null));
  const missing = join(out, 'no-skynet.tar.gz');
  const r = run(file, out, { ...process.env, SKYNET_SRC: missing });
  assert.equal(r.code, ExitCode.usage, r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.includes(`${missing} (SKYNET_SRC)`), r.stderr);
  assert.deepEqual(readdirSync(out), ['skyvar.yaml'], 'no run folder');
});

function existsIn(dir: string, name: string): boolean {
  return readdirSync(dir).includes(name);
}
