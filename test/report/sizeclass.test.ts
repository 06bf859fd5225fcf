// The "active - allocated by size class" part of the report, from a hand-made run folder
// (test/fixtures/run-sizeclass: its README says how the numbers were made; the expected ones are worked out here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReport } from '../../src/report/render.js';
import type { SizeClassPoint } from '../../src/analysis/sizeclass.js';
import type { Summary } from '../../src/analysis/summary.js';
import { fixtureCopy, MiB } from '../helpers/run-fixture.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/run-sizeclass', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));

async function copy(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'simload-sizeclass-')), 'run');
  await cp(FIXTURE, dir, { recursive: true });
  return dir;
}

const gaps = (p: SizeClassPoint) => p.classes.map((c) => [c.size, c.gap / MiB]);

test('size classes: at the peak and at settle, largest active - allocated first, adding up to it', async () => {
  const dir = await copy();
  try {
    const { summary } = await renderReport(dir);
    const mf = summary.variants.find((v) => v.variant === 'madv-free')!.sizeClasses!;
    // Peak Rss at 15 s: G = 10 MiB, 1 MiB of it large; 9 MiB split 4/8, 3/8, 1/8.
    assert.deepEqual(
      [mf.peak!.fromMs, mf.peak!.samples],
      [12_000, 1],
      'the first sample with the most allocated bytes, not the highest Rss (15 s)',
    );
    assert.deepEqual(gaps(mf.peak!), [
      [1024, 4.5],
      [4096, 3.375],
      [64, 1.125],
    ]);
    assert.deepEqual(
      [mf.peak!.activeMinusAllocated, mf.peak!.small, mf.peak!.large].map((b) => b / MiB),
      [10, 9, 1],
    );
    // Settle window = the summary's (46-47 s). G = 25 MiB: 24 MiB of classes; the mean of the two samples, with
    // class 128 (only at 47 s) counting as empty at 46 s.
    const st = mf.settle!;
    assert.deepEqual([st.fromMs, st.toMs, st.samples], [46_000, 47_000, 2]);
    assert.deepEqual(gaps(st), [
      [64, 12],
      [4096, 7.5],
      [1024, 3],
      [128, 1.5],
    ]);
    assert.deepEqual(
      [st.activeMinusAllocated, st.small, st.large].map((b) => b / MiB),
      [25, 24, 1],
    );
    assert.equal(
      st.small,
      st.classes.reduce((t, c) => t + c.gap, 0),
    );
    const c64 = st.classes[0]!;
    assert.deepEqual([c64.slabSize, c64.allocated / MiB, c64.active / MiB], [4096, 2, 14]);
    assert.equal(c64.utilisation, 2 / 14);
    assert.equal(st.classes[3]!.allocated, 0.5 * MiB); // 1 MiB in one of the two samples
    // no-madv-free: G = 10 MiB throughout; glibc has no size classes.
    const nm = summary.variants.find((v) => v.variant === 'no-madv-free')!.sizeClasses!;
    assert.deepEqual(gaps(nm.settle!), [
      [64, 4.5],
      [4096, 2.8125],
      [1024, 1.125],
      [128, 0.5625],
    ]);
    assert.equal(summary.variants.find((v) => v.variant === 'glibc')!.sizeClasses, null);

    const html = await readFile(join(dir, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('active - allocated by size class'));
    assert.ok(html.includes('active - allocated by size class'), 'the section is in report.html');
    assert.match(section, /<h3>madv-free<\/h3>\n<h4>at the peak \(at 12s\)<\/h4>/);
    assert.match(section, /at settle \(mean of 2 samples, 46s to 47s\)/);
    assert.match(
      section,
      /<tr><td>64 B<\/td><td>4\.0 KiB<\/td><td>2\.0 MiB<\/td><td>14\.0 MiB<\/td><td>12\.0 MiB<\/td><td>48\.0%<\/td><td>14\.3%<\/td><\/tr>/,
    );
    assert.match(section, /<b>small classes<\/b><\/td>(<td><\/td>){3}<td><b>24\.0 MiB<\/b><\/td><td>96\.0%/);
    assert.match(section, /large extents \(a page each\)<\/td>(<td><\/td>){3}<td>1\.0 MiB<\/td>/);
    assert.doesNotMatch(section, /<h3>glibc<\/h3>/);

    // `simload report --json` prints the same summary, size classes included.
    const r = spawnSync(process.execPath, [BIN, 'report', dir, '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr); // the fixture's madv-free misses its `retention < 0.6` on purpose
    const printed = JSON.parse(r.stdout) as Summary;
    assert.deepEqual(printed.variants[0]!.sizeClasses, mf);
  } finally {
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
});

test('size classes: a run folder from before them has no such section and null in the summary', async () => {
  const dir = await fixtureCopy();
  try {
    const { summary, html } = await renderReport(dir);
    assert.ok(summary.variants.every((v) => v.sizeClasses === null));
    assert.ok(!(await readFile(html, 'utf8')).includes('by size class'));
  } finally {
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
});
