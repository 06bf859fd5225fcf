// Drift in real runs: Lua agents that keep 16 KiB per game message (a leak: 200 players x 1 message/s is about
// 11 GiB/h) fail `rss_slope < 1GiB/h` and `allocated_slope < 1GiB/h`; the same agents dropping that string
// after the call (garbage the collector takes back) pass both. The threshold sits 11 times under the leak, and
// 6.3 MiB of growth over the 22 s window would be needed to fail the clean run. Few messages of a large size
// keep the server's CPU low, so a loaded machine still delivers the load. The two runs go side by side (two
// servers of 200 light players), about 50 s together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExpectations } from '../../src/analysis/expect.js';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { requireBuilds } from '../alloc/builds.js';

requireBuilds('no-madv-free');

const GiB = 2 ** 30;
const KEEP = 16384;

function agent(leak: boolean): string {
  return `local kept = {}
local player
function login(player_id)
  player = { id = player_id, bag = {} }
  for i = 1, 20 do player.bag[i] = { id = i, count = i } end
end
function message(n)
  local line = string.rep("x", ${KEEP - 16}) .. string.format("%015d", n)
  ${leak ? 'kept[#kept + 1] = line' : 'player.last = #line'}
end
function logout(player_id) player = nil end
`;
}

const scenario = (name: string) => `name: ${name}
server:
  threads: 2
  script: agent.lua
  logout_free_delay: 0s
variants:
  - name: je
    build: no-madv-free
load:
  rate: 1
  think_time: 200ms
  bot_workers: 1
  phases:
    - ramp: { to: 2, over: 2s }       # the first logins wait for the bots and the agent library to start
    - hold: 3s                        # (seconds on a loaded machine): 2 players are within the load check's slack
    - ramp: { to: 200, over: 8s }
    - hold: 30s
record:
  interval: 500ms
  baseline: 2s
  warmup: 8s
expect:
  - rss_slope < 1GiB/h
  - allocated_slope < 1GiB/h
  - rss_slope_low < 1GiB/h
`;

async function soak(leak: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'simload-drift-'));
  await writeFile(join(dir, 'agent.lua'), agent(leak));
  const file = join(dir, 'soak.yaml');
  await writeFile(file, scenario(leak ? 'leak' : 'clean'));
  const { scenario: s, text } = await loadScenario(file);
  const r = await runScenario(s, text, { outDir: join(dir, 'results'), quiet: true });
  const v = r.summary.variants[0]!;
  assert.equal(v.validity.valid, true, `the run delivered its load: ${v.validity.reasons.join('; ')}`);
  assert.ok(v.drift, 'a drift window');
  assert.equal(v.drift.window, 'final-hold');
  assert.ok(v.drift.samples >= 30, `${v.drift.samples} samples in the window (44 at 500 ms)`);
  return { r, v, drift: v.drift, results: checkExpectations(r.summary, s.expect) };
}

test(
  'a server that keeps a little per message fails its slope threshold; the same without the leak passes',
  { timeout: 400_000 },
  async () => {
    const [leak, clean] = await Promise.all([soak(true), soak(false)]);
    // 200 players x 1 message/s x 16 KiB = 11 GiB/h asked; the bots deliver within a few percent of it.
    assert.equal(leak.r.exitCode, 1, 'a threshold failed');
    assert.ok(leak.drift.allocated!.perHour > 8 * GiB, `allocated grows ${leak.drift.allocated!.perHour / GiB} GiB/h`);
    assert.ok(leak.drift.rss.perHour > 8 * GiB, `Rss grows ${leak.drift.rss.perHour / GiB} GiB/h`);
    assert.ok(leak.drift.rss.low! > 1 * GiB, 'the whole interval is above the threshold');
    assert.deepEqual(
      leak.results.map((e) => [e.rule.metric, e.pass]),
      [
        ['rss_slope', false],
        ['allocated_slope', false],
        ['rss_slope_low', false],
      ],
    );

    assert.equal(
      clean.r.exitCode,
      0,
      `clean run: Rss ${clean.drift.rss.perHour / GiB} GiB/h, allocated ${clean.drift.allocated!.perHour / GiB} GiB/h`,
    );
    assert.ok(Math.abs(clean.drift.allocated!.perHour) < 1 * GiB);
    // The leak is far above what the clean run moves, whichever way it moves.
    assert.ok(leak.drift.allocated!.perHour > 8 * Math.abs(clean.drift.allocated!.perHour) + GiB);
  },
);
