// The fidelity table's size-class part: simload's and skynet's settle points joined by class size, the classes
// with the most active - allocated on either side first, the rest summed, and the totals; then as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSizeClasses, TOP_SIZE_CLASSES, type FidelityTable } from '../../src/analysis/fidelity.js';
import { formatFidelity } from '../../src/report/fidelity-table.js';
import type { SizeClassPoint, SizeClassRow } from '../../src/analysis/sizeclass.js';

const MiB = 2 ** 20;
const cls = (size: number, gapMiB: number, allocatedMiB = 1): SizeClassRow => {
  const allocated = allocatedMiB * MiB;
  const active = allocated + gapMiB * MiB;
  return { size, slabSize: 4096, allocated, active, gap: active - allocated, utilisation: allocated / active };
};
function point(classes: SizeClassRow[], largeMiB: number): SizeClassPoint {
  const sorted = [...classes].sort((a, b) => b.gap - a.gap);
  const small = sorted.reduce((t, c) => t + c.gap, 0);
  return {
    fromMs: 0,
    toMs: 1000,
    samples: 2,
    activeMinusAllocated: small + largeMiB * MiB,
    small,
    large: largeMiB * MiB,
    classes: sorted,
  };
}

// 12 tiny classes (1/16 MiB each on both sides) beyond the four that matter.
const tiny = (side: number) => Array.from({ length: 12 }, (_, i) => cls(4096 + 1024 * i, side / 16));
const sim = point([cls(48, 10), cls(64, 2), cls(256, 1), ...tiny(1)], 1);
const sky = point([cls(48, 5), cls(96, 8, 3), cls(256, 0.5), ...tiny(1)], 2);

test('size classes at settle: ordered by the larger side, missing classes as 0, the rest summed, totals last', () => {
  const c = compareSizeClasses(sim, sky)!;
  const top = c.rows.slice(0, 4).map((r) => [r.size, r.simload / MiB, r.skynet / MiB, r.ratio]);
  assert.deepEqual(top, [
    [48, 10, 5, 2],
    [96, 0, 8, 0],
    [64, 2, 0, null],
    [256, 1, 0.5, 2],
  ]);
  assert.equal(c.rows[1]!.skynetUtil, 3 / 11);
  assert.equal(c.rows[1]!.simloadUtil, null);
  // TOP_SIZE_CLASSES shown: the 4 above and 6 tiny ones; the other 6 tiny ones (6/16 MiB a side) summed.
  assert.equal(c.rows.filter((r) => typeof r.size === 'number').length, TOP_SIZE_CLASSES);
  const by = (k: string) => c.rows.find((r) => r.size === k)!;
  assert.deepEqual([by('others').simload / MiB, by('others').skynet / MiB], [6 / 16, 6 / 16]);
  assert.deepEqual([by('small').simload / MiB, by('small').skynet / MiB], [13.75, 14.25]);
  assert.deepEqual([by('large').simload / MiB, by('large').skynet / MiB], [1, 2]);
  assert.deepEqual([by('total').simload / MiB, by('total').skynet / MiB], [14.75, 16.25]);
  assert.deepEqual(
    c.rows.slice(-4).map((r) => r.size),
    ['others', 'small', 'large', 'total'],
  );
  // The shown classes and `others` add up to `small` on each side.
  const classes = c.rows.filter((r) => typeof r.size === 'number' || r.size === 'others');
  assert.equal(
    classes.reduce((t, r) => t + r.simload, 0),
    by('small').simload,
  );
  assert.equal(
    classes.reduce((t, r) => t + r.skynet, 0),
    by('small').skynet,
  );
  assert.equal(compareSizeClasses(sim, null), null);
});

test('size classes at settle: printed after the main table, simload beside skynet', () => {
  const table: FidelityTable = {
    variant: 'madv-free',
    rows: [],
    lazyFree: { simload: 'none', skynet: 'none' },
    notes: [],
    invalid: [],
    sizeClasses: compareSizeClasses(sim, sky),
  };
  const text = formatFidelity([table], 'title');
  assert.match(text, /madv-free: active - allocated at settle by size class +simload +skynet +simload\/skynet/);
  assert.match(text, /\n48 B +10\.0 MiB +5\.0 MiB +2\.00 +9% +17%\n/);
  assert.match(text, /\n96 B +0 B +8\.0 MiB +0\.00 +27%\n/);
  assert.match(text, /\nactive - allocated +14\.8 MiB +16\.3 MiB +0\.91\n/);
});

test('a side that did not deliver its load makes the table INVALID: its reasons first, no row ok or MISS', () => {
  const row = {
    metric: 'peak jemalloc-side Rss',
    unit: 'bytes' as const,
    simload: 96 * MiB,
    skynet: 100 * MiB,
    ratio: 0.96,
    target: 'within 10%',
    pass: true,
  };
  const base: FidelityTable = {
    variant: 'madv-free',
    rows: [row],
    lazyFree: { simload: 'none', skynet: 'none' },
    notes: [],
    invalid: [],
    sizeClasses: null,
  };
  assert.match(formatFidelity([base], 't'), /peak jemalloc-side Rss +96\.0 MiB +100\.0 MiB +0\.96 +ok \(within 10%\)/);
  const reason =
    'simload: phase 1:hold: the server handled 27001 messages of the 30000 asked (90.0%; 0.25/s per player, at least 95% needed)';
  const text = formatFidelity([{ ...base, invalid: [reason] }], 't');
  assert.match(text, /\nINVALID: madv-free: a side did not deliver the load it asked for/);
  assert.ok(text.includes(`\n  ${reason}\n`), text);
  assert.match(text, /peak jemalloc-side Rss +96\.0 MiB +100\.0 MiB +0\.96 +invalid run \(within 10%\)/);
  assert.doesNotMatch(text, / ok \(| MISS \(/);
});
