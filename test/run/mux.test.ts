// A run with multiplexed bots (load.players_per_connection > 1) delivers its shape as a plain run does: the
// server's online count follows the phases, messages are answered at the rate, and the bots used a handful
// of connections instead of one per player.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScenario } from '../../src/run/run.js';
import { botSockets, openFileLimit, preflight } from '../../src/run/preflight.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { UsageError } from '../../src/errors.js';
import type { Sample } from '../../src/results/sample.js';
import type { LatencyFile } from '../../src/results/layout.js';
import { TINY_PEAK, tinyScenario, tinyScenarioFile, tolerance } from './fixtures.js';
import { readNdjson } from '../helpers/ndjson.js';

test(
  'players_per_connection 40: the online counts follow the phases over 8 multiplexed connections',
  { timeout: 120_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile(
      tinyScenario().replace('  bot_workers: 2\n', '  bot_workers: 2\n  players_per_connection: 40\n'),
    );
    const { scenario, text } = await loadScenario(file);
    assert.equal(scenario.load.playersPerConnection, 40);
    // 300 players over 2 workers, 40 per connection: 2 x ceil(150 / 40) = 8 sockets instead of 300.
    assert.equal(botSockets(scenario), 8);
    scenario.expect = [{ variant: null, metric: 'errors', op: '<', value: 1, source: 'errors < 1' }];
    // The bots live in this process: its open sockets show how many connections they made.
    const sockets = (): number =>
      readdirSync('/proc/self/fd').filter((f) => {
        try {
          return readlinkSync(`/proc/self/fd/${f}`).startsWith('socket:');
        } catch {
          return false;
        }
      }).length;
    const before = sockets();
    let most = before;
    const watch = setInterval(() => (most = Math.max(most, sockets())), 100);
    const r = await runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true }).finally(() =>
      clearInterval(watch),
    );
    assert.equal(r.exitCode, 0, 'complete, no errors');
    // 8 bot sockets plus the recorder's and IPC's few; one per player would be 300 more.
    assert.ok(most - before >= 8 && most - before < 40, `the run opened ${most - before} sockets at most`);
    const samples = readNdjson<Sample>(join(r.dir, 'samples.ndjson'));
    const inPhases = samples.filter((s) => s.phaseIndex >= 0 && s.phaseIndex < scenario.load.phases.length);
    assert.ok(inPhases.length >= 25, `only ${inPhases.length} samples during the phases`);
    // Each sample within 2% (or 5 players) of its target, allowing one sample interval of lag as load validity
    // does (analysis/validity.ts): the target is the lower of this sample's and the previous one's on the way up,
    // the higher on the way down. A gate that lost or refused players falls outside it.
    const off = inPhases.filter((s) => {
      const prev = samples[samples.indexOf(s) - 1];
      const lo = Math.min(s.target, prev?.target ?? s.target);
      const hi = Math.max(s.target, prev?.target ?? s.target);
      return s.online < lo - tolerance(lo) || s.online > hi + tolerance(hi);
    });
    assert.deepEqual(
      off.map((s) => `${s.phase}#${s.phaseIndex} t=${s.t} online ${s.online} target ${s.target}`),
      [],
    );
    for (const s of inPhases.filter((x) => x.phaseIndex === 1))
      assert.ok(Math.abs(s.online - TINY_PEAK) <= tolerance(TINY_PEAK), `hold at ${s.online}`);
    const last = inPhases.filter((s) => s.phaseIndex === 3);
    assert.ok(last.length >= 4);
    for (const s of last) assert.ok(Math.abs(s.online - 99) <= 5, `final hold at ${s.online}, expected 99`);
    const latency = JSON.parse(await readFile(join(r.dir, 'latency.json'), 'utf8')) as LatencyFile;
    const hold = latency.variants.glibc!['1:hold']!;
    // 2 msgs/s x 300 players x 2 s = 1 200 expected, as in the plain run's test.
    assert.ok(hold.count > 700 && hold.count < 1700, `hold answered ${hold.count} messages`);
    assert.equal(hold.errors, 0);
    assert.equal(hold.connectFailures, 0);
    // The server saw multiplexed connections: 300 logins over far fewer accepted sockets.
    const v = r.summary.variants[0]!;
    assert.ok(Math.abs(v.peakOnline - TINY_PEAK) <= tolerance(TINY_PEAK));
    const events = await readFile(join(r.dir, 'events.ndjson'), 'utf8');
    assert.ok(!/connect failed/.test(events), 'no connect failures in the events');
  },
);

test('preflight counts multiplexed bot sockets: a peak past the open-file limit passes with players_per_connection', async () => {
  const limit = openFileLimit();
  assert.ok(limit !== null && Number.isFinite(limit), 'reads a finite limit from /proc/self/limits');
  const peak = limit + 5000;
  const plain = parseScenario(tinyScenario().replace(`to: ${TINY_PEAK}`, `to: ${peak}`), 'tiny.yaml');
  await assert.rejects(
    preflight(plain, plain.variants, false),
    (e: unknown) =>
      e instanceof UsageError &&
      /needs \d+ open files in simload, but the limit is \d+ \(raise it with `ulimit -n`, or multiplex players with load.players_per_connection/.test(
        e.message,
      ),
  );
  const mux = parseScenario(
    tinyScenario()
      .replace(`to: ${TINY_PEAK}`, `to: ${peak}`)
      .replace('  bot_workers: 2\n', '  bot_workers: 2\n  players_per_connection: 1000\n'),
    'tiny.yaml',
  );
  // 2 workers x ceil(ceil(peak / 2) / 1000) connections.
  assert.equal(botSockets(mux), 2 * Math.ceil(Math.ceil(peak / 2) / 1000));
  await preflight(mux, mux.variants, false);
});
