// The quiet-night rows: judged only on a scenario whose final hold is quiet (the shipped quiet fidelity scenario,
// not the ramps), LazyFree and dirty at the end within 50% of skynet's (nothing on both sides is met), and the
// MADV_FREE build's extra Rss over the other within 30% of skynet's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isQuiet, madvExtraRow, quietRows } from '../../src/analysis/fidelity-quiet.js';
import { packageRoot } from '../../src/native/paths.js';
import type { VariantSummary } from '../../src/analysis/summary.js';
import { loadScenario } from '../../src/scenario/load.js';
import { needsVendor } from '../native/vendor.js';

const MiB = 2 ** 20;

// The fidelity scenarios run skynet's lualib on jemalloc 5.0.1: without the vendored sources they do not load.
const vendor = needsVendor('jemalloc-5.0.1') || needsVendor('skynet');

test('quiet: the quiet fidelity scenario is judged as one, the ramps are not', { skip: vendor }, async () => {
  process.env['SIMLOAD_JEMALLOC_5_0_1'] ??= join(packageRoot, '..', 'shared', 'vendor', 'jemalloc-5.0.1.tar.bz2');
  const quiet = async (f: string) => isQuiet((await loadScenario(join(packageRoot, 'bench', f))).scenario);
  assert.deepEqual(
    await Promise.all(['fidelity-quiet-3000.yaml', 'fidelity-ramp-3000.yaml', 'fidelity-ramp-8000.yaml'].map(quiet)),
    [true, false, false],
  );
  assert.equal(isQuiet(null), false);
});

const v = (variant: string, settledRss: number, lazyFree: number, dirty: number | null) =>
  ({
    variant,
    settledRss: settledRss * MiB,
    settledBreakdown: { lazyFree: lazyFree * MiB, dirty: dirty === null ? null : dirty * MiB },
  }) as unknown as VariantSummary;

test('quiet rows: LazyFree and dirty at the end within 50% of skynet, nothing on both sides met', () => {
  // skynet's quiet night as measured (65 MB LazyFree, 110 MB dirty) against a simload that purged everything.
  const purged = quietRows(v('madv-free', 1836, 0, 0), v('madv-free', 1646, 62, 105));
  assert.deepEqual(
    purged.map((r) => [r.metric, r.pass]),
    [
      ['LazyFree at the end', false],
      ['dirty at the end', false],
    ],
  );
  const close = quietRows(v('madv-free', 1700, 40, 150), v('madv-free', 1646, 62, 105));
  assert.deepEqual(
    close.map((r) => r.pass),
    [true, true],
  );
  assert.equal(close[0]!.ratio, 40 / 62);
  const none = quietRows(v('no-madv-free', 1500, 0, 0.5), v('no-madv-free', 1519, 0, 46));
  assert.deepEqual(
    none.map((r) => r.pass),
    [true, false],
  );
  assert.equal(quietRows(v('x', 1, 0, null), v('x', 1, 0, 3))[1]!.pass, null, 'an unknown dirty figure is not judged');
});

test("quiet rows: the MADV_FREE build's extra Rss over the other, each side, within 30% of skynet's", () => {
  const sky = { 'madv-free': v('madv-free', 1646, 62, 105), 'no-madv-free': v('no-madv-free', 1519, 0, 46) }; // 127 MiB more
  const row = (a: number, b: number) =>
    madvExtraRow({ 'madv-free': v('madv-free', a, 0, 0), 'no-madv-free': v('no-madv-free', b, 0, 0) }, sky)!;
  assert.deepEqual(
    [row(1836, 1840).simload! / MiB, row(1836, 1840).skynet! / MiB, row(1836, 1840).pass],
    [-4, 127, false],
  );
  assert.equal(row(1940, 1840).pass, true); // 100 against 127: within 30%
  assert.equal(row(1940, 1860).pass, false); // 80 against 127
  assert.equal(
    madvExtraRow({ 'madv-free': v('madv-free', 1, 0, 0) }, sky),
    null,
    'without both builds on a side there is no row',
  );
});
