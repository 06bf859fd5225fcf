// The machine's CPU times from /proc/stat: the aggregate line's fields, and real readings that grow with work.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyCores, parseProcStat, readMachineCpu } from '../../src/proc/machine-cpu.js';

test('parseProcStat sums tasks, interrupts and idle from the aggregate cpu line, in seconds', () => {
  const text = 'cpu  1000 20 300 5000 40 6 70 8 0 0\ncpu0 500 10 150 2500 20 3 35 4 0 0\nintr 1 2\n';
  assert.deepEqual(parseProcStat(text), { tasks: 13.2, interrupts: 0.84, idle: 50.4 });
  assert.equal(parseProcStat('intr 1 2\n'), null);
  assert.deepEqual(busyCores({ tasks: 10, interrupts: 1, idle: 0 }, { tasks: 13, interrupts: 1.5, idle: 0 }, 2), {
    tasks: 1.5,
    interrupts: 0.25,
  });
});

test("the machine's task time grows at least by this process's own CPU over a window", () => {
  const a = readMachineCpu();
  assert.ok(a, '/proc/stat is readable');
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  let x = 0;
  while (Date.now() - t0 < 300) x += Math.sqrt(x + 1);
  const own = (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6;
  const b = readMachineCpu()!;
  assert.ok(x > 0);
  // The kernel counts both in 10 ms ticks: allow two ticks of rounding.
  assert.ok(b.tasks - a.tasks >= own - 0.02, `machine ${b.tasks - a.tasks} s, this process ${own} s`);
  assert.ok(b.idle >= a.idle);
});
