// Numbers that mean what they say: "never settled" is worse than any settle time in compare and fails a
// `time_to_settle <` threshold; an invalid run passes no threshold and makes compare fail; a version 1
// summary.json (with the old `fragmentation` name) is still read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareSummaries } from '../../src/analysis/compare.js';
import { checkExpectations } from '../../src/analysis/expect.js';
import { loadRun } from '../../src/analysis/load.js';
import { readSummary } from '../../src/analysis/read-summary.js';
import { summarize, type Summary } from '../../src/analysis/summary.js';
import { FIXTURE_DIR } from '../helpers/run-fixture.js';

async function fixture(): Promise<Summary> {
  return summarize(await loadRun(FIXTURE_DIR));
}

test('compare: a variant that never settled is worse than one that settled in 2.5 s', async () => {
  const base = await fixture();
  const cand = structuredClone(base);
  // The fixture's no-madv-free settles; madv-free (Rss kept as LazyFree) never does.
  const settled = base.variants.find((v) => v.variant === 'no-madv-free')!;
  const never = base.variants.find((v) => v.variant === 'madv-free')!;
  assert.equal(settled.settleState, 'settled');
  assert.equal(never.settleState, 'never');
  cand.variants = cand.variants.map((v) =>
    v.variant === 'no-madv-free' ? { ...v, timeToSettleMs: null, settleState: 'never' as const } : v,
  );
  // The fixture sees 19.5 s after its ramp-down: no longer than the time's noise floor, so it only informs.
  const short = compareSummaries(base, cand, 0.1)
    .variants.find((v) => v.variant === 'no-madv-free')!
    .metrics.find((m) => m.metric === 'time_to_settle')!;
  assert.deepEqual([short.verdict, short.role], ['worse-within-tolerance', 'information']);
  // A final hold a minute longer: never settled within it is beyond the floor.
  for (const s of [base, cand])
    s.variants = s.variants.map((v) => ({ ...v, settle: v.settle && { ...v.settle, toMs: v.settle.toMs + 60_000 } }));
  const c = compareSummaries(base, cand, 0.1);
  const d = c.variants.find((v) => v.variant === 'no-madv-free')!.metrics.find((m) => m.metric === 'time_to_settle')!;
  assert.equal(d.verdict, 'worse');
  assert.match(c.regressions.join('\n'), /no-madv-free: time to settle 2\.5s -> never settled/);
  // The other way round it is better, and never vs never is the same.
  assert.equal(
    compareSummaries(cand, base, 0.1)
      .variants.find((v) => v.variant === 'no-madv-free')!
      .metrics.find((m) => m.metric === 'time_to_settle')!.verdict,
    'better',
  );
  assert.equal(
    c.variants.find((v) => v.variant === 'madv-free')!.metrics.find((m) => m.metric === 'time_to_settle')!.verdict,
    'same',
  );
});

test('expect: "never settled" fails time_to_settle < 30s; an invalid variant fails every rule', async () => {
  const s = await fixture();
  const rule = {
    variant: 'madv-free',
    metric: 'time_to_settle',
    op: '<' as const,
    value: 30_000,
    source: 'time_to_settle < 30s',
  };
  const [r] = checkExpectations(s, [rule]);
  assert.equal(r!.pass, false);
  assert.equal(r!.reason, 'never settled');
  const bad = structuredClone(s);
  const v = bad.variants.find((x) => x.variant === 'no-madv-free')!;
  v.validity = {
    ...v.validity,
    valid: false,
    reasons: ['phase 1:hold: the server held less than 95% of the target in 9 of 10 samples'],
  };
  const [e] = checkExpectations(bad, [
    { variant: 'no-madv-free', metric: 'peak_rss', op: '<', value: 1e15, source: 'peak_rss < 1PB' },
  ]);
  assert.equal(e!.pass, false);
  assert.match(e!.reason!, /^invalid run: phase 1:hold/);
  // The old metric name still works in rules (old run folders keep rendering).
  const [old] = checkExpectations(s, [
    { variant: 'madv-free', metric: 'fragmentation', op: '<', value: 3, source: 'fragmentation < 3' },
  ]);
  assert.equal(old!.actual, s.variants.find((x) => x.variant === 'madv-free')!.residentPerAllocated);
});

test('compare: an invalid side is a failure whatever the metrics say', async () => {
  const base = await fixture();
  const cand = structuredClone(base);
  cand.valid = false;
  cand.invalid = ['glibc: 36 of 44 samples without allocator stats'];
  const c = compareSummaries(base, cand, 0.1);
  assert.deepEqual(c.invalid, ['candidate']);
  assert.match(c.regressions[0]!, /the candidate is an INVALID run: glibc: 36 of 44/);
});

test('a version 1 summary.json is read: fragmentation becomes residentPerAllocated', async () => {
  const s = await fixture();
  const v1 = {
    ...s,
    v: 1,
    valid: undefined,
    invalid: undefined,
    variants: s.variants.map(({ residentPerAllocated, settleState, validity, ...rest }) => ({
      ...rest,
      fragmentation: residentPerAllocated,
    })),
  };
  const file = join(await mkdtemp(join(tmpdir(), 'simload-v1-')), 'summary.json');
  await writeFile(file, JSON.stringify(v1));
  const back = await readSummary(file);
  assert.equal(back.v, 2);
  const m = back.variants.find((x) => x.variant === 'madv-free')!;
  assert.equal(m.residentPerAllocated, s.variants.find((x) => x.variant === 'madv-free')!.residentPerAllocated);
  assert.equal((m as unknown as { fragmentation?: number }).fragmentation, undefined);
});
