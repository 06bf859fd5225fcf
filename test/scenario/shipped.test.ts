// What the shipped scenarios and the fidelity scenarios assume by default, read through the loader as a user's
// run reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/native/paths.js';
import { peerSources } from '../../src/native/peers.js';
import { loadScenario } from '../../src/scenario/load.js';
import { ScenarioError } from '../../src/scenario/problems.js';
import { needsVendor } from '../native/vendor.js';
import { knownServiceLib, knownSkynetLua } from '../../src/scenario/script.js';

async function shipped(): Promise<string[]> {
  const scenarios = (await readdir(join(packageRoot, 'scenarios')))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(packageRoot, 'scenarios', f));
  const bench = (await readdir(join(packageRoot, 'bench')))
    .filter((f) => /^fidelity-.*\.yaml$/.test(f))
    .map((f) => join(packageRoot, 'bench', f));
  return [...scenarios, ...bench];
}

test("free_first_workers is 0 in every shipped scenario and fidelity scenario: stuck arenas come from a watch of the user's server", async (t) => {
  // The 5.0.1 scenarios take their source from the environment, ../shared/vendor's by default.
  process.env['SIMLOAD_JEMALLOC_5_0_1'] ??= join(packageRoot, '..', 'shared', 'vendor', 'jemalloc-5.0.1.tar.bz2');
  // Without the vendored sources (a user's clone) the scenarios that name them do not load: those are left out,
  // and said; every other one still loads.
  const vendor = needsVendor('jemalloc-5.0.1') || needsVendor('skynet');
  const files = await shipped();
  assert.ok(files.length >= 10, files.join(', '));
  const loaded = await Promise.all(
    files.map(async (f) => {
      const name = f.slice(packageRoot.length + 1);
      try {
        return [name, (await loadScenario(f)).scenario.server.freeFirstWorkers ?? 0] as const;
      } catch (err) {
        if (!vendor || !(err instanceof ScenarioError)) throw err;
        t.diagnostic(`${name} not loaded: ${vendor}`);
        return null;
      }
    }),
  );
  const values = loaded.filter((x) => x !== null);
  assert.ok(values.length >= (vendor ? 7 : files.length), `${values.length} of ${files.length} scenarios loaded`);
  assert.deepEqual(
    values.filter(([, n]) => n !== 0),
    [],
  );
});

/** Loads a shipped scenario with SKYNET_SRC set to `src` (undefined: as the environment has it). */
async function withSkynetSrc<T>(src: string | undefined, f: () => Promise<T>): Promise<T> {
  const before = process.env['SKYNET_SRC'];
  if (src !== undefined) process.env['SKYNET_SRC'] = src;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env['SKYNET_SRC'];
    else process.env['SKYNET_SRC'] = before;
  }
}

const luaScenarios = ['ramp', 'capacity', 'nightly', 'decay-never', 'idle-after-peak', 'quiet-night', 'runtime-fix'];

test("without a skynet tree the shipped scenarios run bare Lua VMs on Debian's Lua, as before", async () => {
  await withSkynetSrc(join(packageRoot, 'no-such-skynet'), async () => {
    for (const name of luaScenarios) {
      const script = (await loadScenario(join(packageRoot, 'scenarios', `${name}.yaml`))).scenario.server.script!;
      assert.deepEqual([name, script.serviceLib, script.luaLib], [name, undefined, undefined]);
    }
  });
});

test(
  "with a skynet tree known the shipped scenarios run skynet's service library on skynet's Lua",
  { skip: peerSources() ? false : 'no skynet/jemalloc source (../shared/vendor or SKYNET_SRC)' },
  async () => {
    for (const name of luaScenarios) {
      const script = (await loadScenario(join(packageRoot, 'scenarios', `${name}.yaml`))).scenario.server.script!;
      assert.ok(
        script.serviceLib && existsSync(join(script.serviceLib, 'skynet.lua')),
        `${name}: service library ${script.serviceLib}`,
      );
      assert.ok(
        script.luaLib && existsSync(script.luaLib) && /skynet's Lua/.test(script.luaName ?? ''),
        `${name}: Lua ${script.luaLib} (${script.luaName})`,
      );
    }
    // A tree given by SKYNET_SRC alone (no build) is enough for the service library; the Lua needs the build.
    const tree = mkdtempSync(join(tmpdir(), 'simload-skynet-tree-'));
    mkdirSync(join(tree, 'lualib'));
    writeFileSync(join(tree, 'lualib', 'skynet.lua'), 'return {}\n');
    assert.equal(knownServiceLib({ SKYNET_SRC: tree }), join(tree, 'lualib'));
    assert.equal(knownSkynetLua({ SKYNET_SRC: tree }), undefined);
    assert.equal(
      knownServiceLib({ SKYNET_SRC: join(tree, 'lualib') }),
      undefined,
      'a folder without lualib/skynet.lua is no skynet tree',
    );
  },
);
