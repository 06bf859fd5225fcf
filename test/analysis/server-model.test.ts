// The server a run's figures describe, said beside them: the table's notes and summary.json name the agent kind,
// the service library and the Lua, say the baseline Rss apart from the per-player figures, and with bare VMs by
// about how much a skynet agent differs. From the recorded fixture run, its scenario's server as each model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageRoot } from '../../src/native/paths.js';
import { loadRun } from '../../src/analysis/load.js';
import { summarize } from '../../src/analysis/summary.js';
import { formatSummaryTable } from '../../src/report/table.js';
import { BARE_VM_KIB, SKYNET_AGENT_KIB } from '../../src/results/server-model.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'run-basic');
const lua = (extra: object) => ({
  agentModel: 'lua',
  script: { path: 'scenarios/agents/rpg.lua', source: '', maxInstructions: 1, maxMemoryBytes: 1, ...extra },
});

async function summaryAs(server: object) {
  const run = await loadRun(fixture);
  return summarize({ ...run, scenario: { ...run.scenario!, server: { ...run.scenario!.server, ...server } } });
}

test('bare Lua VMs: the table says per-player figures are for a bare VM and how much a skynet agent adds', async () => {
  const s = await summaryAs(lua({}));
  assert.deepEqual([s.server?.agents, s.server?.serviceLib, s.server?.lua], ['lua', null, "Debian's Lua 5.4"]);
  const text = formatSummaryTable(s);
  assert.match(
    text,
    /\nnote: server model: per-player Lua agents running scenarios\/agents\/rpg\.lua, no service library \(a bare Lua VM\), on Debian's Lua 5\.4\n/,
  );
  const lo = SKYNET_AGENT_KIB.low - BARE_VM_KIB;
  const hi = SKYNET_AGENT_KIB.high - BARE_VM_KIB;
  assert.ok(
    text.includes(`note: per-player figures are for a bare Lua VM (about ${BARE_VM_KIB} KiB`) &&
      text.includes(`needs about ${lo}-${hi} KiB more per player`),
    text,
  );
  // The baseline, as the summary measured it, named apart from bytes/player.
  const base = s.variants.map((v) => v.baselineRss);
  assert.ok(base.every((b) => b > 0));
  assert.match(
    text,
    /\nnote: baseline Rss \(madv-free 100\.0 MiB, no-madv-free 100\.0 MiB, glibc 100\.0 MiB\) is the simulator's constant/,
  );
});

test("skynet's service library on skynet's Lua: the model is named and there is no bare-VM note", async () => {
  const s = await summaryAs(lua({ serviceLib: '/sk/lualib', luaName: "skynet's Lua (/sk/3rd/lua)" }));
  assert.deepEqual(
    [s.server?.serviceLib, s.server?.lua, s.server?.bareNote],
    ['/sk/lualib', "skynet's Lua (/sk/3rd/lua)", null],
  );
  const text = formatSummaryTable(s);
  assert.match(
    text,
    /note: server model: per-player Lua agents running scenarios\/agents\/rpg\.lua, skynet's service library \(\/sk\/lualib\), on skynet's Lua \(\/sk\/3rd\/lua\)\n/,
  );
  assert.doesNotMatch(text, /bare Lua VM/);
});

test('a folder without the runtime in its samples (a watch, a real skynet) names no simload server model', async () => {
  const run = await loadRun(fixture);
  const s = summarize({ ...run, samples: run.samples.map((x) => ({ ...x, runtime: null })) });
  assert.equal(s.server, undefined);
  assert.doesNotMatch(formatSummaryTable(s), /server model|baseline Rss \(/);
});
