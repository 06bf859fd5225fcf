// server.service_lib: skynet's own lualib (skynet.lua and what it requires) runs in every agent VM before the
// script, as in a real snlua service; its function prototypes are kept off the simulated heap (skynet shares
// them between VMs through its code cache). Needs a skynet tree: the cached peer build (`npm run build:peers`).
//
// The reference figure, measured on skynet f19d1605 (docs/fidelity.md, "What one agent VM holds"): a service
// that requires skynet and has run skynet.start holds 41.9 KiB (collectgarbage("count"), Lua 5.5, code cache
// on); with the code cache off the same service holds 108.7 KiB, so its prototypes are about 67 KiB.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchServer } from '../../src/server/launch.js';
import { loadLua } from '../../src/server/lua-vm.js';
import type { AgentScript, ServerOptions } from '../../src/server/options.js';
import { checkScript } from '../../src/server/script-check.js';
import { parseScenario } from '../../src/scenario/load.js';
import { serviceLib } from '../../src/scenario/script.js';
import { Client, inBatches, serverOptions, VARIANTS, waitFor } from './client.js';

const RPG = join(process.cwd(), 'scenarios', 'agents', 'rpg.lua');
const tmp = mkdtempSync(join(tmpdir(), 'simload-servicelib-'));
let why = '';
const LUALIB = serviceLib('skynet', tmp, (m) => (why = m));
const skip = LUALIB ? false : `no skynet peer build: ${why}`;

/** skynet f19d1605, measured: a started service's VM with skynet.lua loaded (code cache on). */
const SKYNET_STARTED_VM = 41.9 * 1024;

function script(path: string, lib: string | null, source = readFileSync(path, 'utf8')): AgentScript {
  return { path, source, maxInstructions: 10_000_000, maxMemoryBytes: 64 * 2 ** 20, ...(lib ? { serviceLib: lib } : {}) };
}

test('the service library raises an empty VM to what a started skynet service holds; its prototypes stay off the heap', { skip }, () => {
  const bare = checkScript(script(RPG, null), 'per-player');
  const lib = checkScript(script(RPG, LUALIB), 'per-player');
  assert.equal(lib.sandboxBytes, bare.emptyBytes, 'the bare sandbox VM is the same either way');
  // Against skynet's 41.9 KiB (both after a full collection): Lua 5.4.4 here, 5.5.0 there, and the prototypes'
  // constant strings sit in this VM's string table (skynet's shared strings do not), so not equal (measured
  // 43.4 KiB, 1.04); a library not loaded (12.9 KiB) or prototypes on the heap (about 105 KiB) fail.
  const r = lib.emptyBytes / SKYNET_STARTED_VM;
  assert.ok(r >= 0.85 && r <= 1.25, `empty VM with the library ${(lib.emptyBytes / 1024).toFixed(1)} KiB vs skynet's 41.9 KiB (ratio ${r.toFixed(2)})`);
  assert.ok(lib.libCodeBytes >= 40 * 1024 && lib.libCodeBytes <= 160 * 1024, `prototypes in the code heap ${(lib.libCodeBytes / 1024).toFixed(1)} KiB`);
  // The player's own state does not change with the library: login adds about as much either way.
  const added = lib.loginBytes - lib.emptyBytes;
  const addedBare = bare.loginBytes - bare.emptyBytes;
  assert.ok(Math.abs(added - addedBare) < 0.15 * addedBare, `login adds ${added} B with the library, ${addedBare} B without`);
  // Every VM of the check is closed: the code heap holds nothing (frees went to the heap each block came from).
  assert.equal(loadLua().codeHeapBytes(), 0);
});

test('madv-free: agents with the service library cost their VM bytes in jemalloc, not their prototypes', { skip }, async () => {
  const N = 100;
  const s = script(RPG, LUALIB);
  const check = checkScript(s, 'per-player');
  const options: ServerOptions = serverOptions({ threads: 2, logoutFreeDelayMs: 0, agentModel: 'lua', script: s });
  const h = await launchServer({ options, variant: VARIANTS['madv-free']! });
  try {
    const base = (await h.purge()).alloc.allocated;
    const clients = await inBatches(N, 50, async (i) => {
      const c = await Client.open(h.url);
      assert.deepEqual(await c.login(`lib-${i}`), { t: 'ok', seq: 1, op: 'login' });
      assert.equal((await c.msg())?.t, 'ok');
      return c;
    });
    const peak = await h.purge();
    assert.equal(peak.luaVms, N);
    assert.equal(peak.counters.errors, 0);
    const perPlayer = (peak.alloc.allocated - base) / N;
    const vmBytes = (await h.services()).reduce((a, x) => a + x.bytes, 0) / N;
    assert.ok(vmBytes >= check.loginBytes * 0.9, `VMs hold ${Math.round(vmBytes)} B each; the check saw ${check.loginBytes} B after login`);
    // Prototypes (check.libCodeBytes, ~85 KiB) in jemalloc would put perPlayer far above vmBytes.
    assert.ok(perPlayer >= vmBytes * 0.98 && perPlayer <= vmBytes * 1.3, `allocated per player ${Math.round(perPlayer)} B vs VM bytes ${Math.round(vmBytes)} B`);
    await inBatches(N, 50, async (i) => {
      assert.equal((await clients[i]!.logout())?.t, 'ok');
      await clients[i]!.close();
    });
    await waitFor('agents to exit', async () => (await h.stats()).services === 0);
    const end = await h.purge();
    assert.equal(end.luaVms, 0);
    const added = peak.alloc.allocated - base;
    assert.ok(Math.abs(end.alloc.allocated - base) < 0.02 * added, `after every lua_close allocated is ${end.alloc.allocated - base} B from baseline`);
  } finally {
    await h.stop();
  }
});

test('a library that fails to load is a clear error with its own file:line; a runaway one is stopped', { skip }, () => {
  const broken = join(tmp, 'broken');
  mkdirSync(join(broken, 'skynet'), { recursive: true });
  writeFileSync(join(broken, 'skynet.lua'), 'local c = require "skynet.core"\nlocal x = = 1\n');
  assert.throws(() => checkScript(script(RPG, broken), 'per-player'), (e: Error & { code?: string }) => e.code === 'ERR_SCRIPT' && /the service library .*broken failed to load: .*broken\/skynet\.lua:2:/.test(e.message));
  const missing = join(tmp, 'missing');
  mkdirSync(missing, { recursive: true });
  writeFileSync(join(missing, 'skynet.lua'), 'local m = require "skynet.nothere"\n');
  assert.throws(() => checkScript(script(RPG, missing), 'per-player'), /module 'skynet\.nothere' not found in the service library/);
  const escape = join(tmp, 'escape');
  mkdirSync(escape, { recursive: true });
  writeFileSync(join(escape, 'skynet.lua'), 'return require "../../etc/passwd"\n');
  assert.throws(() => checkScript(script(RPG, escape), 'per-player'), /not a module name a service library may load/);
  const loop = join(tmp, 'loop');
  mkdirSync(loop, { recursive: true });
  writeFileSync(join(loop, 'skynet.lua'), 'while true do end\n');
  const s = { ...script(RPG, loop), maxInstructions: 100_000 };
  assert.throws(() => checkScript(s, 'per-player'), /loop\/skynet\.lua:1: loading the service library ran more than 100000 instructions/);
  const io = join(tmp, 'io');
  mkdirSync(io, { recursive: true });
  writeFileSync(join(io, 'skynet.lua'), 'return io.open("/etc/passwd")\n');
  assert.throws(() => checkScript(script(RPG, io), 'per-player'), /io\/skynet\.lua:1: attempt to index a nil value \(global 'io'\)/);
  // snlua's os/io/package/debug are in the VM but not reachable: not through package.loaded, not by require.
  const held = join(tmp, 'held');
  mkdirSync(held, { recursive: true });
  writeFileSync(join(held, 'skynet.lua'), 'return package.loaded.os.execute("true")\n');
  assert.throws(() => checkScript(script(RPG, held), 'per-player'), /held\/skynet\.lua:1: attempt to index a nil value \(field 'os'\)/);
  const req = join(tmp, 'req');
  mkdirSync(req, { recursive: true });
  writeFileSync(join(req, 'skynet.lua'), 'return require("io").open("/etc/passwd")\n');
  assert.throws(() => checkScript(script(RPG, req), 'per-player'), /module 'io' not found in the service library/);
});

test('service_lib in a scenario: relative, ${NAME} or skynet; a bad one is a located problem', () => {
  const file = join(tmp, 's.yaml');
  writeFileSync(join(tmp, 'ok.lua'), 'function login() end\nfunction message() end\n');
  const parse = (server: string) =>
    parseScenario(`name: s\nserver:\n  script: ok.lua\n${server}variants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n`, file);
  assert.throws(() => parse('  service_lib: nope\n'), /s\.yaml:4:16 server\.service_lib: no such folder: .*nope \(expected a skynet tree's lualib/);
  mkdirSync(join(tmp, 'empty-lib'), { recursive: true });
  assert.throws(() => parse('  service_lib: empty-lib\n'), /s\.yaml:4:16 server\.service_lib: .*empty-lib holds no skynet\.lua/);
  delete process.env['SIMLOAD_TEST_NO_SUCH_VAR'];
  assert.throws(() => parse('  service_lib: ${SIMLOAD_TEST_NO_SUCH_VAR}\n'), /server\.service_lib: \$\{SIMLOAD_TEST_NO_SUCH_VAR\} is not set/);
  assert.throws(() => parseScenario(`name: s\nserver:\n  service_lib: x\nvariants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n`, file), /server\.service_lib: only applies with `script:`/);
  if (LUALIB) {
    const s = parse('  service_lib: skynet\n');
    assert.equal(s.server.script?.serviceLib, LUALIB);
    process.env['SIMLOAD_TEST_LUALIB'] = LUALIB;
    assert.equal(parse('  service_lib: ${SIMLOAD_TEST_LUALIB}\n').server.script?.serviceLib, LUALIB);
  }
});
