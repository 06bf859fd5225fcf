// server.lua: skynet: the agent VMs run the skynet peer build's own Lua (its 3rd/lua: Lua 5.5.0 with skynet's
// changes in f19d1605), compiled into a second agent library by `npm run build:peers`, so that a VM allocates
// the objects a skynet service allocates, of the same sizes (docs/agents.md, docs/fidelity.md). Needs the
// cached peer build.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadLua } from '../../src/server/lua-vm.js';
import type { AgentScript } from '../../src/server/options.js';
import { checkScript } from '../../src/server/script-check.js';
import { parseScenario } from '../../src/scenario/load.js';
import { serviceLib, skynetLua } from '../../src/scenario/script.js';
import { measureLuaAgents } from './client.js';

const tmp = mkdtempSync(join(tmpdir(), 'simload-skynetlua-'));
let why = '';
const SKY = skynetLua((m) => (why = m));
const LUALIB = serviceLib('skynet', tmp, () => undefined);
const skip = SKY && LUALIB ? false : `no skynet peer build with its agent library: ${why}`;

/** The Lua version skynet's own lua.h declares ("5.5" for f19d1605), so the test follows the peer, not a constant. */
function peerLuaVersion(): string {
  const h = readFileSync(join(dirname(LUALIB!), '3rd', 'lua', 'lua.h'), 'utf8');
  const major =
    /#define LUA_VERSION_MAJOR_N\s+(\d+)/.exec(h)?.[1] ?? /#define LUA_VERSION_MAJOR\s+"(\d+)"/.exec(h)?.[1];
  const minor =
    /#define LUA_VERSION_MINOR_N\s+(\d+)/.exec(h)?.[1] ?? /#define LUA_VERSION_MINOR\s+"(\d+)"/.exec(h)?.[1];
  assert.ok(major && minor, 'skynet lua.h declares its version');
  return `${major}.${minor}`;
}

function script(source: string, over: Partial<AgentScript> = {}): AgentScript {
  const path = join(tmp, 'agent.lua');
  writeFileSync(path, source);
  return { path, source, maxInstructions: 10_000_000, maxMemoryBytes: 64 * 2 ** 20, ...over };
}

/** Logs in only on the expected Lua: a VM of any other version fails login with this file's line 1. */
const versionGate = (v: string) =>
  `assert(_VERSION == "Lua ${v}", "agent runs " .. _VERSION)\nfunction login() end\nfunction message() end\n`;

test("lua: skynet runs the VMs on the peer's own Lua; the default stays Debian's 5.4", { skip }, () => {
  const v = peerLuaVersion();
  assert.match(loadLua(SKY!.lib).luaRelease(), new RegExp(`^Lua ${v.replace('.', '\\.')}\\.`));
  assert.match(loadLua().luaRelease(), /^Lua 5\.4\./);
  checkScript(script(versionGate(v), { luaLib: SKY!.lib }), 'per-player');
  assert.throws(() => checkScript(script(versionGate(v)), 'per-player'), /agent\.lua:1: agent runs Lua 5\.4/);
});

test(
  "a 5.4 script that assigns to a for loop's variable loads on 5.4 and is refused on skynet's 5.5 with its file:line",
  { skip },
  () => {
    if (peerLuaVersion() < '5.5') return; // older skynets embed 5.4, where this is legal
    const src = 'function login() end\nfunction message(n)\n  for i = 1, 3 do\n    i = i + 1\n  end\nend\n';
    checkScript(script(src), 'per-player');
    assert.throws(
      () => checkScript(script(src, { luaLib: SKY!.lib }), 'per-player'),
      (e: Error & { code?: string }) => e.code === 'ERR_SCRIPT' && /agent\.lua:4: .*'i'/.test(e.message),
    );
  },
);

test("with skynet's Lua and lualib an empty VM holds what a started skynet service holds", { skip }, () => {
  // skynet f19d1605, measured (docs/fidelity.md): a started service's VM holds 41.9 KiB after a full collection.
  const lib = checkScript(
    script(versionGate(peerLuaVersion()), { luaLib: SKY!.lib, serviceLib: LUALIB! }),
    'per-player',
  );
  const r = lib.emptyBytes / (41.9 * 1024);
  // Measured 1.10 (46.2 KiB). A bare VM (15.4 KiB) or the library's prototypes on the heap (about 110 KiB) fail.
  assert.ok(
    r >= 0.9 && r <= 1.2,
    `empty VM ${(lib.emptyBytes / 1024).toFixed(1)} KiB vs skynet's 41.9 KiB (ratio ${r.toFixed(2)})`,
  );
  assert.equal(loadLua(SKY!.lib).codeHeapBytes(), 0, 'every VM of the check closed: its code heap is empty');
});

test("madv-free: a real server's agents run skynet's Lua and cost their VM bytes in jemalloc", { skip }, async () => {
  const rpg = readFileSync(join(process.cwd(), 'scenarios', 'agents', 'rpg.lua'), 'utf8');
  // rpg.lua behind the version gate: a worker that loaded the default library would fail every login.
  const s = script(versionGate(peerLuaVersion()).split('\n')[0] + '\n' + rpg, {
    luaLib: SKY!.lib,
    serviceLib: LUALIB!,
  });
  const check = checkScript(s, 'per-player');
  const m = await measureLuaAgents(s, 60, 'sky');
  assert.ok(
    m.vmBytes >= check.loginBytes * 0.9,
    `VMs hold ${Math.round(m.vmBytes)} B each; the check saw ${check.loginBytes} B after login`,
  );
  assert.ok(
    m.perPlayer >= m.vmBytes * 0.98 && m.perPlayer <= m.vmBytes * 1.3,
    `allocated per player ${Math.round(m.perPlayer)} B vs VM bytes ${Math.round(m.vmBytes)} B`,
  );
});

test('server.lua in a scenario: 5.4, skynet or auto; anything else, or without a script, is a located problem', () => {
  const file = join(tmp, 's.yaml');
  writeFileSync(join(tmp, 'ok.lua'), 'function login() end\nfunction message() end\n');
  const parse = (server: string) =>
    parseScenario(
      `name: s\nserver:\n  script: ok.lua\n${server}variants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n`,
      file,
    );
  assert.throws(
    () => parse('  lua: "5.3"\n'),
    /s\.yaml:4:8 server\.lua: expected one of 5\.4, skynet, auto, got "5\.3"/,
  );
  assert.equal(parse('  lua: "5.4"\n').server.script?.luaLib, undefined);
  assert.equal(parse('  lua: 5.4\n').server.script?.luaLib, undefined, 'YAML reads 5.4 unquoted as a number');
  assert.throws(
    () =>
      parseScenario(
        `name: s\nserver:\n  lua: skynet\nvariants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n`,
        file,
      ),
    /server\.lua: only applies with `script:`/,
  );
  let problem = '';
  assert.equal(
    skynetLua((m) => (problem = m), { SKYNET_SRC: join(tmp, 'no-such-skynet') }),
    null,
  );
  assert.match(problem, /there is none: run `npm run build:peers`/);
  if (SKY) assert.equal(parse('  lua: skynet\n').server.script?.luaLib, SKY.lib);
  // auto: skynet's Lua when its build is known, as `skynet` finds it.
  if (SKY) assert.equal(parse('  lua: auto\n').server.script?.luaLib, SKY.lib);
});
