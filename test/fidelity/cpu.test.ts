// A server's CPU cost from its samples: per 1 000 messages over the holds, per login over the ramps up beyond
// their messages; and the skynet side's CPU series joined to its samples by wall clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuFigures } from '../../src/analysis/server-cpu.js';
import { addCpuToSamples, cpuAt } from '../../src/fidelity/cpu-poll.js';
import type { Sample } from '../../src/results/sample.js';
import { readNdjson } from '../helpers/ndjson.js';

const sample = (
  t: number,
  phaseIndex: number,
  phase: string,
  cpuMs: number | undefined,
  messages: number,
  logins: number,
  logouts = 0,
): Sample => ({
  v: 1,
  variant: 'madv-free',
  t,
  wall: 1e12 + t,
  phaseIndex,
  phase,
  target: 0,
  online: logins - logouts,
  proc: { rss: 1, lazyFree: 0, anonymous: 1, anonHugePages: 0, vmHWM: 1, ...(cpuMs !== undefined ? { cpuMs } : {}) },
  alloc: null,
  runtime: null,
  server: { messages, errors: 0, logins, logouts },
});

test('CPU figures: per message over the holds, per login over the ramps up net of their messages', () => {
  const samples = [
    sample(0, -1, 'baseline', 100, 0, 0),
    // ramp up: 1 000 logins and 500 messages for 1 300 ms of CPU
    sample(1000, 0, 'ramp', 600, 200, 400),
    sample(2000, 0, 'ramp', 1400, 500, 1000),
    // hold: 2 000 messages for 400 ms (0.2 ms each); the interval across the phase change counts for neither
    sample(3000, 1, 'hold', 1500, 600, 1000),
    sample(4000, 1, 'hold', 1700, 1600, 1000),
    sample(5000, 1, 'hold', 1900, 2600, 1000),
    // ramp down: logouts, neither figure
    sample(6000, 2, 'ramp', 2500, 2700, 1000, 600),
    sample(7000, 3, 'hold', 2600, 2800, 1000, 600),
    sample(8000, 3, 'hold', 2700, 3300, 1000, 600),
  ];
  const c = cpuFigures(samples)!;
  assert.equal(c.totalMs, 2600);
  // holds: (200 + 200 + 100) ms over (1000 + 1000 + 500) messages = 0.2 ms each
  assert.equal(c.holdMessages, 2500);
  assert.ok(Math.abs(c.perThousandMessagesMs! - 200) < 1e-9, String(c.perThousandMessagesMs));
  // ramp up (first interval crosses from the baseline): 800 ms, 300 messages (60 ms of them), 600 logins
  assert.equal(c.rampLogins, 600);
  assert.ok(Math.abs(c.perLoginMs! - (800 - 60) / 600) < 1e-9, String(c.perLoginMs));
  // Samples without CPU times (recorded before they were read) give no figures.
  assert.equal(cpuFigures(samples.map((s) => ({ ...s, proc: { ...s.proc, cpuMs: undefined } }))), null);
});

test("skynet's CPU series: read at any wall time between its points, and added to that variant's samples only", () => {
  const pts = [
    { wall: 1000, cpuMs: 10 },
    { wall: 1200, cpuMs: 50 },
    { wall: 1400, cpuMs: 60 },
  ];
  assert.deepEqual(
    [500, 1000, 1100, 1300, 1400, 9999].map((w) => cpuAt(pts, w)),
    [10, 10, 30, 55, 60, 60],
  );
  assert.equal(cpuAt([], 1000), null);
  const dir = mkdtempSync(join(tmpdir(), 'simload-cpu-'));
  const file = join(dir, 'samples.ndjson');
  const a = { ...sample(0, -1, 'baseline', undefined, 0, 0), wall: 1100 };
  const b = { ...sample(0, -1, 'baseline', undefined, 0, 0), variant: 'no-madv-free', wall: 1100 };
  writeFileSync(file, [a, b, { ...a, wall: 1300 }].map((s) => JSON.stringify(s)).join('\n') + '\n');
  addCpuToSamples(file, 'madv-free', pts);
  const back = readNdjson<Sample>(file);
  assert.deepEqual(
    back.map((s) => [s.variant, s.proc.cpuMs]),
    [
      ['madv-free', 30],
      ['no-madv-free', undefined],
      ['madv-free', 55],
    ],
  );
});
