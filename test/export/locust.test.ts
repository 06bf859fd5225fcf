// End to end: `simload export locust` drives a real `simload serve --record` through a Locust master and two
// workers on loopback (Debian's python3-locust and python3-websocket). The recorded run folder must follow
// the scenario's shape, count the messages at the scenario's rate, and render like any run's.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../src/results/sample.js';
import { readNdjson } from '../helpers/ndjson.js';
import { locustMissing, serverConnections, startSwarm, within } from './swarm.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));
const RATE = 0.25;
const PEAK = 60;

// Shorter ramps (10 logins/s, 13 logouts/s), the holds and the 1 s interval as they were: each hold needs >= 8
// samples, and a baseline sample can race the first login (serve sets phase 0 when it sees it, 50 ms polls;
// at 500 ms it landed in that window in one of six runs here), so the interval stays at 1 s.
const SCENARIO = `# ramp to ${PEAK} over 6 s, hold 10 s, down to a third over 3 s, hold 10 s
name: locust-e2e
server:
  threads: 2
  state:
    objects: 8
    sizes: [{ size: 1KiB, weight: 1 }]
  logout_free_delay: 0s
variants:
  - name: glibc
    build: glibc
load:
  rate: ${RATE}
  think_time: 1s
  phases:
    - ramp: { to: ${PEAK}, over: 6s }
    - hold: 10s
    - ramp: { to: 33%, over: 3s }
    - hold: 10s
record:
  interval: 1s
`;

const missing = locustMissing();
const MUX_N = 25;

/** Locust's --csv stats: request and failure counts per request name. */
function locustCounts(csv: string): Map<string, { requests: number; failures: number }> {
  const [head, ...rows] = csv.trim().split('\n');
  const cols = head!.split(',');
  const at = (name: string) => cols.indexOf(name);
  const out = new Map<string, { requests: number; failures: number }>();
  for (const row of rows) {
    const c = row.split(',');
    out.set(c[at('Name')]!, { requests: Number(c[at('Request Count')]), failures: Number(c[at('Failure Count')]) });
  }
  return out;
}

// The two swarms are light (60 players each, their own ports): side by side they take the time of one.
describe('Locust drives an exported scenario', { concurrency: 2 }, () => {
  test(
    'a Locust master and two workers drive an exported scenario, a connection per player; the recorded run follows its shape',
    { skip: missing ?? false, timeout: 180_000 },
    async () => {
      const conns = await driveSwarm(1);
      // One connection per player: at the peak the server held at least as many as players (the count is read
      // from /proc/net/tcp, where an unrelated socket sharing the port number can show up too).
      assert.ok(conns >= PEAK, `${conns} connections at most for ${PEAK} players`);
    },
  );

  test(
    `the same with ${MUX_N} players per multiplexed connection`,
    { skip: missing ?? false, timeout: 180_000 },
    async () => {
      const conns = await driveSwarm(MUX_N);
      // 30 players per worker: two connections each.
      assert.ok(
        conns >= Math.ceil(PEAK / MUX_N) && conns <= 4,
        `${conns} connections at most for ${PEAK} players, ${MUX_N} per connection`,
      );
    },
  );
});

/** Runs the swarm and checks the run folder; returns the most connections the server held at once. */
async function driveSwarm(perConnection: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'simload-locust-'));
  const scenario = join(dir, 'scenario.yaml');
  await writeFile(scenario, SCENARIO);
  const exported = spawnSync(
    process.execPath,
    [BIN, 'export', 'locust', scenario, '-o', join(dir, 'swarm.py'), '--players-per-connection', String(perConnection)],
    { encoding: 'utf8' },
  );
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(exported.stderr, /4 phases, up to 60 players over 29s/);

  const out = join(dir, 'results');
  const swarm = await startSwarm({
    scenario,
    locustfile: 'swarm.py',
    variant: 'glibc',
    outDir: out,
    cwd: dir,
    workers: 2,
    masterArgs: ['--csv', 'stats'],
  });
  const port = Number(new URL(swarm.url).port);
  let conns = 0;
  const poll = setInterval(() => (conns = Math.max(conns, serverConnections(port))), 250);
  try {
    const serveCode = await within(swarm.serve, 120_000);
    const masterCode = await within(swarm.master, 30_000);
    for (const w of swarm.workers) await within(w, 30_000);
    assert.equal(serveCode, 0, `serve: ${swarm.serve.out()}\n${swarm.serve.err()}`);
    assert.equal(masterCode, 0, swarm.master.err().slice(-3000));
  } finally {
    clearInterval(poll);
    await swarm.stop();
  }

  const runs = readdirSync(out);
  assert.equal(runs.length, 1);
  const run = join(out, runs[0]!);
  const meta = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as {
    status: string;
    validity?: { valid: boolean; reasons: string[] };
  };
  assert.equal(meta.status, 'complete');
  assert.deepEqual(meta.validity, { valid: true, reasons: [] });
  const samples = readNdjson<Sample>(join(run, 'samples.ndjson'));

  // The baseline (no players) comes first, then phase 0 from the first login.
  assert.ok(samples.filter((s) => s.phaseIndex === -1).length >= 2, 'a baseline of at least two samples');
  assert.ok(samples.filter((s) => s.phaseIndex === -1).every((s) => s.online === 0));
  // After each ramp has ended (the holds), every sample is within 5% of the target.
  const holds = samples.filter((s) => s.phase === 'hold');
  assert.ok(
    holds.filter((s) => s.phaseIndex === 1).length >= 8 && holds.filter((s) => s.phaseIndex === 3).length >= 8,
    'samples in both holds',
  );
  for (const s of holds) {
    assert.ok(
      Math.abs(s.online - s.target) <= 0.05 * s.target,
      `at ${s.t} ms (phase ${s.phaseIndex}) the server held ${s.online} players for a target of ${s.target}`,
    );
  }
  assert.deepEqual([...new Set(holds.map((s) => s.target))], [PEAK, Math.round(PEAK * 0.33)]);
  // During the ramps the server is never short of the target by more than the validity check allows.
  for (const s of samples.filter((x) => x.phase === 'ramp'))
    assert.ok(s.online >= s.target * 0.95 - 2, `ramp sample at ${s.t} ms: ${s.online} for ${s.target}`);

  // Messages at the scenario's rate: what the server counted against the player-seconds it held.
  const inRun = samples.filter((s) => s.phaseIndex >= 0 && s.server);
  let playerSeconds = 0;
  for (let i = 1; i < inRun.length; i++)
    playerSeconds += (inRun[i - 1]!.online * (inRun[i]!.t - inRun[i - 1]!.t)) / 1000;
  const messages = inRun.at(-1)!.server!.messages - inRun[0]!.server!.messages;
  const expected = playerSeconds * RATE;
  assert.ok(
    Math.abs(messages - expected) <= 0.25 * expected,
    `${messages} messages for ${expected.toFixed(0)} expected (${playerSeconds.toFixed(0)} player-seconds at ${RATE}/s)`,
  );

  // Locust's own stats: every player logged in once and out once (unique names across both workers), no failures.
  const counts = locustCounts(readFileSync(join(dir, 'stats_stats.csv'), 'utf8'));
  assert.equal(counts.get('login')?.requests, PEAK);
  assert.equal(counts.get('logout')?.requests, PEAK);
  assert.equal(counts.get('Aggregated')?.failures, 0);
  // Locust also counts the messages of its last seconds, after simload's recording ended.
  assert.ok(
    counts.get('msg')!.requests >= messages * 0.95,
    `Locust sent ${counts.get('msg')!.requests} messages, the server counted ${messages} while recording`,
  );

  // The folder renders like a run's.
  const report = spawnSync(process.execPath, [BIN, 'report', run], { encoding: 'utf8' });
  assert.equal(report.status, 0, report.stderr);
  assert.ok(existsSync(join(run, 'report.html')));
  assert.match(report.stdout, /baseline Rss/);
  return conns;
}
