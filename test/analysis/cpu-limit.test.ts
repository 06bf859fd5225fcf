// What stops a load step, from plain CPU figures (cores over the step): simload's own threads filling the
// machine, other processes filling it, one saturated thread, or nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuLimit, type StepCpu } from '../../src/analysis/cpu-limit.js';

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

// A 60 000-player step on 2 cores with nothing else running: the server at 1.00 cores, the bots at 0.61, the
// machine 96% busy with a load average of 7.6 made of simload's own runnable threads.
const full: StepCpu = {
  cores: 2,
  busy: 1.84,
  interrupts: 0.08,
  server: { gate: 0.42, workers: [0.1, 0.1, 0.05, 0.1, 0.05, 0.05, 0.05, 0.05], other: 0.03 },
  bench: { main: 0.08, bots: [0.3, 0.31], recorder: 0.07, other: 0.02 },
  load: 7.6,
};

test('a full machine with simload alone blames simload, whatever the load average', () => {
  const r = cpuLimit(full);
  assert.equal(r.kind, 'simload-cores');
  close(r.server, 1.0);
  close(r.bots, 0.61);
  close(r.recorder, 0.07);
  close(r.simload, 1.78);
  close(r.others, 0.06);
  assert.deepEqual(r.saturated, []);
});

test('a full machine where other processes used a quarter of the cores or more blames them', () => {
  const r = cpuLimit({ ...full, busy: 1.9, server: { ...full.server, gate: 0.2, workers: [0.2] }, load: 9 });
  assert.equal(r.kind, 'others-cores');
  close(r.simload, 0.2 + 0.2 + 0.03 + 0.08 + 0.61 + 0.07 + 0.02);
  close(r.others, 1.9 - r.simload);
});

test('a saturated thread with cores idle is named; on a full machine it is named beside the cores', () => {
  const idle: StepCpu = {
    ...full,
    busy: 1.3,
    interrupts: 0.05,
    server: { gate: 0.97, workers: [0.1], other: 0.02 },
    bench: { main: 0.05, bots: [0.05, 0.92], recorder: 0.01, other: 0.01 },
  };
  const r = cpuLimit(idle);
  assert.equal(r.kind, 'thread');
  assert.deepEqual(r.saturated, [
    { thread: 'the server gate', cores: 0.97 },
    { thread: 'bot thread 1', cores: 0.92 },
  ]);
  const f = cpuLimit({ ...idle, busy: 1.9 });
  assert.equal(f.kind, 'simload-cores');
  assert.equal(f.saturated.length, 2);
});

test('nothing saturated: neither the cores nor a thread', () => {
  const r = cpuLimit({ ...full, busy: 0.6, interrupts: 0.02, server: { gate: 0.2, workers: [0.1], other: 0 } });
  assert.equal(r.kind, 'none');
  close(r.others, 0);
  assert.deepEqual(r.saturated, []);
});
