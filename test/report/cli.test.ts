// `simload report` and `simload compare` through the real CLI binary: exit codes and what they print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile, stat, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../src/results/sample.js';
import { FIXTURE_DIR, MiB, fixtureCopy } from '../helpers/run-fixture.js';
import { simloadEach } from '../helpers/cli.js';
import { readNdjson } from '../helpers/ndjson.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));

function simload(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A copy of the fixture whose samples went through `edit`. */
async function candidate(edit: (s: Sample) => void): Promise<string> {
  const dir = await fixtureCopy();
  const file = join(dir, 'samples.ndjson');
  const lines = readNdjson<Sample>(file);
  lines.forEach(edit);
  await writeFile(file, lines.map((s) => JSON.stringify(s)).join('\n') + '\n');
  return dir;
}

test('compare: within tolerance exits 0, a regression exits 1 and names the metric', async () => {
  // madv-free settles 2% higher: retention 0.9 -> 0.928 (+3.1%), under the 10% tolerance.
  const small = await candidate((s) => {
    if (s.variant === 'madv-free' && s.phaseIndex === 3) s.proc.rss = Math.round(s.proc.rss * 1.02);
  });
  // no-madv-free keeps 30 MiB more after the ramp-down: retention 0.15 -> 0.30.
  const worse = await candidate((s) => {
    if (s.variant === 'no-madv-free' && s.phaseIndex >= 3) s.proc.rss += 30 * MiB;
  });
  // compare only reads the folders: the four calls run side by side.
  const [ok, bad, loose, reversed] = await simloadEach([
    ['compare', FIXTURE_DIR, small, '--tolerance', '10%'],
    ['compare', FIXTURE_DIR, worse],
    ['compare', FIXTURE_DIR, worse, '--tolerance', '150%', '--json'],
    ['compare', worse, FIXTURE_DIR],
  ]);
  assert.equal(ok!.code, 0, ok!.stdout + ok!.stderr);
  assert.match(ok!.stdout, /ok: no deciding metric worse beyond its noise floor/);
  assert.match(
    ok!.stdout,
    /retention\s+90\.0%\s+92\.8%\s+\+2\.8pt\s+\+3\.1%\s+12\.0pt\s+decides\s+worse \(within noise\)/,
  );

  assert.equal(bad!.code, 1, bad!.stdout + bad!.stderr);
  assert.match(bad!.stdout, /WORSE: \d+ regression\(s\)/);
  assert.match(bad!.stdout, /no-madv-free: retention 15\.0% -> 30\.0% \(\+100\.0%\), beyond its noise floor 12\.0pt/);
  assert.match(bad!.stdout, /no-madv-free: settled Rss 130\.0 MiB -> 160\.0 MiB/);
  assert.doesNotMatch(bad!.stdout, / {2}madv-free: /); // the untouched variant did not regress

  // The same change passes with a tolerance above +100%.
  assert.equal(loose!.code, 0, loose!.stdout + loose!.stderr);
  assert.equal(JSON.parse(loose!.stdout).regressions.length, 0);

  // Comparing the other way round, the change is an improvement.
  assert.equal(reversed!.code, 0);
  await Promise.all([small, worse].map((d) => rm(dirname(d), { recursive: true, force: true })));
});

test('compare: bad input exits 2 with a reason', async () => {
  const [missing, tol, notSummary] = await simloadEach([
    ['compare', FIXTURE_DIR, '/nonexistent/run'],
    ['compare', FIXTURE_DIR, FIXTURE_DIR, '--tolerance', 'lots'],
    ['compare', FIXTURE_DIR, join(FIXTURE_DIR, 'latency.json')],
  ]);
  assert.equal(missing!.code, 2);
  assert.match(missing!.stderr, /\/nonexistent\/run: no such file or folder/);
  assert.equal(tol!.code, 2);
  assert.match(tol!.stderr, /--tolerance: expected a fraction such as 10% or 0\.1, got "lots"/);
  assert.equal(notSummary!.code, 2);
  assert.match(notSummary!.stderr, /not a simload summary/);
});

test('report DIR re-renders from the folder alone, prints the table, and a failed threshold exits 1 naming it', async () => {
  const dir = await fixtureCopy();
  const r = simload('report', dir);
  assert.equal(r.code, 1, r.out + r.err); // the fixture's `retention < 0.6` fails for madv-free
  assert.match(r.out, /retention\s+90\.0%\s+15\.0%\s+50\.0%/);
  assert.match(r.out, /expect: 1 of 4 threshold\(s\) failed/);
  assert.match(r.out, /FAIL {2}madv-free: retention < 0\.6 {2}\(actual 90\.0% = 0\.900\)/);
  const files = await readdir(dir);
  for (const f of ['summary.json', 'report.html', 'chart.svg']) assert.ok(files.includes(f), `${f} written`);
  const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.schema, 'simload.summary');
  assert.equal(summary.variants[0].retention, 0.9);
  const svg = await readFile(join(dir, 'chart.svg'), 'utf8');
  assert.match(svg, /^<svg [^>]*width="1200" height="600"/);
  assert.ok((svg.match(/<path /g)?.length ?? 0) > 12, 'lines drawn in the SVG');
  assert.match(svg, /madv-free Rss/);
  assert.ok((await stat(join(dir, 'report.html'))).size > 1_000_000, 'echarts is inlined');

  const json = simload('report', dir, '--json');
  assert.equal(JSON.parse(json.out).variants[1].variant, 'no-madv-free');
  const junitFile = join(dir, 'junit.xml');
  simload('report', dir, '--junit', junitFile);
  assert.match(await readFile(junitFile, 'utf8'), /failures="1"/);

  const notRun = simload('report', join(dir, 'nothing-here'));
  assert.equal(notRun.code, 2);
  assert.match(notRun.err, /not a folder/);
  await rm(dirname(dir), { recursive: true, force: true });
});
