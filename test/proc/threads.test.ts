// Per-thread CPU from /proc: real readings of this process, and the stat line's fields after a command name that
// holds spaces and parentheses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readThreads, statLineCpu, threadDelta } from '../../src/proc/threads.js';

test('statLineCpu reads utime + stime after a command name with spaces and parentheses', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const line = '4242 (a (b) c) R 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 1234 0 0';
  assert.equal(statLineCpu(line), 3.25);
});

test("readThreads sees this process's threads, and a busy main thread's CPU grows with it", () => {
  const before = readThreads('self');
  const main = before.find((t) => t.tid === process.pid);
  assert.ok(main, 'the main thread (tid = pid) is listed');
  assert.ok(main.name.length > 0);
  // Spin until the kernel has counted 20 ms of CPU to this thread (however busy the machine is), then check
  // the reading against the wall time it took.
  const t0 = Date.now();
  let x = 0;
  let d = 0;
  while (d < 0.02 && Date.now() - t0 < 60_000) {
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(x + i);
    d = threadDelta(before, readThreads('self')).find((t) => t.tid === process.pid)!.cpu;
  }
  const wall = (Date.now() - t0) / 1000;
  assert.ok(x > 0);
  assert.ok(d >= 0.02, `main thread used ${d} s in ${wall} s`);
  // A thread cannot use more CPU than wall time (plus one 10 ms tick of rounding at each end).
  assert.ok(d <= wall + 0.02, `main thread used ${d} s in ${wall} s`);
  assert.deepEqual(readThreads(2 ** 30), []);
});

test("a thread's system time is part of its CPU time and grows with /proc reads", () => {
  const before = readThreads('self');
  const main = before.find((t) => t.tid === process.pid)!;
  assert.ok(main.system >= 0 && main.system <= main.cpu);
  // Reading /proc files is kernel work: spin on it until the kernel has counted 20 ms of system time.
  const t0 = Date.now();
  let d = 0;
  while (d < 0.02 && Date.now() - t0 < 60_000) {
    for (let i = 0; i < 200; i++) readFileSync('/proc/self/smaps_rollup', 'utf8');
    d = threadDelta(before, readThreads('self')).find((t) => t.tid === process.pid)!.system;
  }
  assert.ok(d >= 0.02, `main thread spent ${d} s in the kernel`);
});
