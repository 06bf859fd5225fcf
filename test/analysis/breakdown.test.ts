import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakdown, breakdownOf, breakdownSum } from '../../src/analysis/breakdown.js';
import { loadRun } from '../../src/analysis/load.js';
import { FIXTURE_DIR, MiB, SETTLED_BREAKDOWN } from '../helpers/run-fixture.js';

const je = (o: Partial<Record<'allocated' | 'active' | 'metadata' | 'resident' | 'pdirty' | 'pmuzzy', number>>) => ({
  allocated: 0,
  active: 0,
  metadata: 0,
  resident: 0,
  mapped: 0,
  retained: 0,
  pdirty: 0,
  pmuzzy: 0,
  ...o,
});

test('parts add up to Rss exactly at every fixture sample, whatever the allocator', async () => {
  const run = await loadRun(FIXTURE_DIR);
  const kinds = new Set<string>();
  for (const s of run.samples) {
    const b = breakdown(s);
    kinds.add(b.kind);
    assert.equal(breakdownSum(b), s.proc.rss, `${s.variant} at ${s.t}`);
  }
  assert.deepEqual([...kinds].sort(), ['allocated-only', 'jemalloc', 'none']);
});

test('jemalloc parts: live, active - allocated, pdirty, metadata, LazyFree, remainder', () => {
  const b = breakdownOf(
    280 * MiB,
    140 * MiB,
    je({
      allocated: 50 * MiB,
      active: 75 * MiB,
      metadata: 11 * MiB,
      resident: 100 * MiB,
      pdirty: 14 * MiB,
      pmuzzy: 140 * MiB,
    }),
  );
  assert.deepEqual(b, SETTLED_BREAKDOWN);
});

test('rest goes negative when jemalloc counts more than is resident, and the sum still holds', () => {
  // 64 MiB allocated but never touched: jemalloc counts it, the kernel does not.
  const b = breakdownOf(
    40 * MiB,
    0,
    je({ allocated: 64 * MiB, active: 64 * MiB, metadata: 2 * MiB, resident: 66 * MiB }),
  );
  assert.equal(b.rest, -26 * MiB);
  assert.equal(breakdownSum(b), 40 * MiB);
});

test('glibc (allocated only) and no stats at all', () => {
  const g = breakdownOf(100 * MiB, 0, je({ allocated: 30 * MiB }));
  assert.deepEqual(g, {
    kind: 'allocated-only',
    rss: 100 * MiB,
    live: 30 * MiB,
    fragmentation: null,
    dirty: null,
    metadata: null,
    residentNotActive: null,
    lazyFree: 0,
    rest: 70 * MiB,
  });
  const n = breakdownOf(100 * MiB, 10 * MiB, null);
  assert.equal(n.kind, 'none');
  assert.equal(n.rest, 90 * MiB);
  assert.equal(breakdownSum(n), 100 * MiB);
});

test("a skynet console's jmem: resident not active excludes LazyFree (5.0.x resident counts muzzy pages)", () => {
  const j = breakdownOf(300 * MiB, 60 * MiB, {
    ...je({ allocated: 100 * MiB, active: 150 * MiB, resident: 250 * MiB }),
    source: 'skynet-jmem' as const,
  });
  assert.deepEqual(j, {
    kind: 'jmem',
    rss: 300 * MiB,
    live: 100 * MiB,
    fragmentation: 50 * MiB,
    dirty: null,
    metadata: null,
    residentNotActive: 40 * MiB,
    lazyFree: 60 * MiB,
    rest: 50 * MiB,
  });
  assert.equal(breakdownSum(j), 300 * MiB);
});
