// A busy machine must not turn a small run INVALID for simload's own start-up: the phases wait until every bot
// worker thread has started (on a loaded machine loading one takes seconds), so the ramp's first logins are sent
// when the ramp asks for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Sample } from '../../src/results/sample.js';
import { readNdjson } from '../helpers/ndjson.js';
import { tinyScenarioFile } from './fixtures.js';

/** Processes that spin on every core, several per core, so every thread of the run waits for its turn. */
function burners(perCore: number): ChildProcess[] {
  return Array.from({ length: availableParallelism() * perCore }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

test(
  'on a machine with four spinning processes per core, the first players come online when the ramp asks for them',
  { timeout: 120_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile();
    const { scenario, text } = await loadScenario(file);
    const spin = burners(4);
    let r;
    try {
      r = await runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true });
    } finally {
      for (const p of spin) p.kill('SIGKILL');
    }
    const samples = readNdjson<Sample>(join(r.dir, 'samples.ndjson'));
    // The ramp's first players are online within a second of being due, plus what the server takes to answer on
    // this machine (the worst phase's p99 round trip: a login, which builds a Lua VM, costs several messages' work;
    // measured at load 18 with the spinners: p50 0.9 s, first online 4.2 s after due). A bot worker still starting
    // up when the ramp begins costs its start-up beyond that. How far the rest of the run keeps up is the machine's business: validity judges it, and
    // at this load it may say INVALID.
    const due = samples.find((s) => s.phaseIndex === 0 && s.target >= 10);
    assert.ok(due, 'the ramp asked for players');
    const online = samples.find((s) => s.t >= due.t && s.online > 0);
    assert.ok(online, `nobody came online: ${samples.map((s) => `${s.t}:${s.online}/${s.target}`).join(' ')}`);
    const answer = Math.max(0, ...Object.values(r.summary.variants[0]!.latency).map((p) => (p.count > 0 ? p.p99 : 0)));
    assert.ok(
      online.t - due.t <= 1000 + answer,
      `10 players were due at ${due.t} ms, the first came online at ${online.t} ms (round trip p99 ${answer} ms)`,
    );
    assert.ok(
      [0, 4].includes(r.exitCode),
      `the run ended as valid (0) or INVALID (4), not as failed: exit ${r.exitCode}`,
    );
  },
);
