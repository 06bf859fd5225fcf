// The recorder's /proc reads: smaps_rollup walked as often as its measured cost allows, Rss from
// /proc/PID/status between walks with the walk's LazyFree and its age; real reads of this process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALWAYS_WALK_BELOW, MAX_WALK_GAP_MS, ProcSampler, walkDue } from '../../src/recorder/proc-sampler.js';
import { readProcMemory } from '../../src/proc/memory.js';

test('a walk is due first, at the end, and once its cost over the budget has passed', () => {
  const big = 4 * ALWAYS_WALK_BELOW;
  const at = (now: number, costMs: number, final = false, rss = big): boolean =>
    walkDue({ now, lastWalk: 10_000, costMs, budget: 0.02, final, rss, floor: ALWAYS_WALK_BELOW });
  assert.equal(
    walkDue({ now: 0, lastWalk: null, costMs: 0, budget: 0.02, final: false, rss: big, floor: ALWAYS_WALK_BELOW }),
    true,
  );
  // 60 ms per walk at 2% of a core: one walk per 3 s.
  assert.equal(at(12_999, 60), false);
  assert.equal(at(13_000, 60), true);
  assert.equal(at(10_001, 60, true), true);
  // A cheap walk (10 ms: 500 ms apart) is due at every 1 s sample.
  assert.equal(at(11_000, 10), true);
  // However costly, never older than the cap.
  assert.equal(at(10_000 + MAX_WALK_GAP_MS - 1, 5000), false);
  assert.equal(at(10_000 + MAX_WALK_GAP_MS, 5000), true);
  // A server under the Rss floor is walked every sample, whatever the walk cost.
  assert.equal(at(10_001, 60, false, ALWAYS_WALK_BELOW - 1), true);
});

test('between walks Rss comes from /proc/PID/status, LazyFree from the walk with its age; the last read walks', async () => {
  // 64 MiB touched, so Rss is well above what the reads themselves move.
  const ballast = Buffer.alloc(64 * 2 ** 20, 1);
  const s = new ProcSampler(process.pid, 1e-9, 0);
  const first = await s.read();
  assert.equal(first.smapsAgeMs, undefined, 'the first read walks smaps_rollup');
  assert.ok(s.lastWalkMs > 0);
  await new Promise((r) => setTimeout(r, 50));
  const between = await s.read();
  assert.ok(between.smapsAgeMs !== undefined && between.smapsAgeMs >= 40, `age ${between.smapsAgeMs}`);
  assert.equal(between.lazyFree, first.lazyFree);
  assert.equal(between.anonHugePages, first.anonHugePages);
  // status's counters and the page-table walk agree on Rss (both counted by the kernel; this process moves a little).
  const walked = await readProcMemory(process.pid);
  assert.ok(Math.abs(between.rss - walked.rss) < 0.1 * walked.rss, `status ${between.rss}, smaps ${walked.rss}`);
  assert.ok(between.rss > 64 * 2 ** 20);
  assert.ok(between.vmHWM >= between.rss);
  assert.ok(between.cpuMs !== undefined && between.cpuMs > 0);
  const last = await s.read(true);
  assert.equal(last.smapsAgeMs, undefined, 'the final read walks');
  // A budget the walk never exceeds: every read walks.
  const every = new ProcSampler(process.pid, 1e9, 0);
  await every.read();
  assert.equal((await every.read()).smapsAgeMs, undefined);
  // Under the Rss floor (this process is far under 2 GiB), every read walks, whatever the budget.
  const small = new ProcSampler(process.pid, 1e-9);
  await small.read();
  assert.equal((await small.read()).smapsAgeMs, undefined);
  assert.equal(ballast[ballast.length - 1], 1);
});

test('a process that is gone fails the status read too', async () => {
  const s = new ProcSampler(2 ** 30, 1e-9, 0);
  await assert.rejects(s.read(), { code: 'ERR_NO_PROC' });
});
