// The skynet side's load through a gate (transport "gate"): clients in another process connect over loopback TCP
// to simload_gate.lua on the cached real skynet build (npm run build:peers); every packet they send is forwarded
// to its player's agent and handled there, the online count follows the plan, and the run counts only when the
// gate forwarded what the clients sent.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { runSkynet, type SkynetRunResult } from '../../src/fidelity/skynet-run.js';
import { packageRoot } from '../../src/native/paths.js';
import type { Sample } from '../../src/results/sample.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/types.js';
import { needsVendor } from '../native/vendor.js';
import { readNdjson } from '../helpers/ndjson.js';

const fixtures = resolve(packageRoot, 'test', 'fidelity', 'fixtures');
const skip = needsVendor('skynet');
const out = mkdtempSync(join(tmpdir(), 'simload-gate-'));

async function run(
  scenarioFile: string,
  script: string,
): Promise<{ r: SkynetRunResult; samples: Sample[]; scenario: Scenario; client: Record<string, number> }> {
  const { scenario, text } = await loadScenario(join(fixtures, scenarioFile));
  const r = await runSkynet(scenario, text, {
    script: join(fixtures, script),
    outDir: out,
    transport: 'gate',
    variants: ['madv-free'],
  });
  const samples = readNdjson<Sample>(join(r.dir, 'samples.ndjson'));
  const status =
    readFileSync(join(r.dir, 'gate-client-madv-free.log'), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('GATE-CLIENT '))
      .at(-1) ?? '';
  const client = Object.fromEntries([...status.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  return { r, samples, scenario, client };
}

// The two runs side by side: two skynets, each a process of its own with its own gate and clients (200 and 20
// players, light loads); what is asserted is counts and state, not speed.
describe('gate transport', { concurrency: true }, () => {
  test(
    'gate: the online count follows the plan and the gate forwards what the clients sent',
    { skip, timeout: 120_000 },
    async () => {
      const { samples, scenario, client } = await run('short.yaml', 'bag.lua');
      // After each ramp (in the holds) the online count, as the driver saw logins and closed connections, is the
      // target within 2% or 3 players: the ramp-down closes 134 connections in 1 s, so a few closes are still in
      // flight at a hold's first sample (2% of 66 is not one player). A driver that missed a tenth of a ramp fails.
      for (const s of samples.filter((x) => scenario.load.phases[x.phaseIndex]?.kind === 'hold')) {
        assert.ok(
          Math.abs(s.online - s.target) <= Math.max(0.02 * s.target, 3),
          `t=${s.t} ${s.phase}: online ${s.online}, target ${s.target}`,
        );
      }
      const last = samples.at(-1)!;
      assert.equal(last.phase, 'done');
      assert.deepEqual([last.server!.logins, last.server!.logouts, last.server!.errors], [200, 134, 0]);
      // The clients logged in over TCP, as many as the driver counted, and none was lost.
      assert.deepEqual([client.logins, client.logouts, client.failures, client.dropped], [200, 134, 0, 0]);
      // 0.25 msg/player/s over the plan: about 407 packets; the gate forwarded all but those in flight at the end.
      assert.ok(Math.abs(client.sent! - 407) < 0.15 * 407, `the clients sent ${client.sent}, ~407 planned`);
      assert.ok(
        last.server!.messages >= 0.98 * client.sent! && last.server!.messages <= client.sent!,
        `forwarded ${last.server!.messages} of ${client.sent}`,
      );
      // The agents hold the script's state, as with the in-process driver.
      const base = samples.find((s) => s.phaseIndex === -1)!.alloc!.allocated;
      const perPlayer = (Math.max(...samples.map((s) => s.alloc!.allocated)) - base) / 200;
      assert.ok(perPlayer > 120_000 && perPlayer < 400_000, `${Math.round(perPlayer)} bytes of jemalloc per player`);
    },
  );

  test(
    "gate: each forwarded packet is handled by its player's agent; errors and runaways are counted",
    { skip, timeout: 60_000 },
    async () => {
      const { r, samples, client } = await run('tiny.yaml', 'handler-error.lua');
      const last = samples.at(-1)!;
      const m = last.server!.messages;
      assert.deepEqual([last.server!.logins, last.server!.logouts], [20, 10]);
      // About 135 packets are planned; a loaded machine's clients send fewer (99 seen at load 30), and what they
      // send must arrive. 50 are enough for the error count below to mean something.
      assert.ok(m >= 0.98 * client.sent! && m > 50, `forwarded ${m} of ${client.sent}`);
      // Every fifth message of each player fails (so the agents ran message(n) for the packets), and player 1's third
      // is stopped by the instruction limit.
      assert.ok(
        last.server!.errors >= 1 + Math.floor(m / 5) - 20 && last.server!.errors <= 1 + Math.ceil(m / 5) + 20,
        `${last.server!.errors} errors of ${m} messages`,
      );
      assert.match(
        readFileSync(join(r.dir, 'skynet-madv-free.log'), 'utf8'),
        /player 1: .*handler-error\.lua:\d+: handler stopped after 50000000 instructions/,
      );
    },
  );
});
