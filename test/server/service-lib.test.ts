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
import { Allocator } from '../../src/alloc/allocator.js';
import { attachLua, loadLua, LuaFn, type LuaFns } from '../../src/server/lua-vm.js';
import type { AgentScript } from '../../src/server/options.js';
import { checkScript } from '../../src/server/script-check.js';
import { parseScenario } from '../../src/scenario/load.js';
import { serviceLib } from '../../src/scenario/script.js';
import { measureLuaAgents, VARIANTS } from './client.js';

const RPG = join(process.cwd(), 'scenarios', 'agents', 'rpg.lua');
const tmp = mkdtempSync(join(tmpdir(), 'simload-servicelib-'));
let why = '';
const LUALIB = serviceLib('skynet', tmp, (m) => (why = m));
const skip = LUALIB ? false : `no skynet peer build: ${why}`;

/** skynet f19d1605, measured: a started service's VM with skynet.lua loaded (code cache on). */
const SKYNET_STARTED_VM = 41.9 * 1024;

/** The agent library bound to the madv-free build in this process (the servers below run in child processes). */
let bound: LuaFns | null = null;
let alloc: Allocator | null = null;
function lua(): LuaFns {
  if (!bound) {
    alloc = Allocator.load(VARIANTS['madv-free']!);
    bound = attachLua();
  }
  return bound;
}

/** A VM over jemalloc with src as its script; with the library when lib is set. */
function vm(src: string, lib: string | null, maxInstructions = 10_000_000): number {
  const f = lua();
  const b = Buffer.from(src, 'utf8');
  const h = f.vmNew(b, b.length, join(tmp, 'probe.lua'), maxInstructions, 64 * 2 ** 20, 1, lib ?? '');
  assert.ok(h >= 0, `sla_vm_new: ${f.lastError()}`);
  return h;
}

/** sla_call's outcome: the VM's bytes, or the error text. */
function call(h: number, fn: number, a: number, b = 0): { bytes: number } | { error: string } {
  const f = lua();
  const r = f.call(h, fn, a, b);
  return r < 0 ? { error: f.lastError() } : { bytes: r };
}

function script(path: string, lib: string | null, source = readFileSync(path, 'utf8')): AgentScript {
  return {
    path,
    source,
    maxInstructions: 10_000_000,
    maxMemoryBytes: 64 * 2 ** 20,
    ...(lib ? { serviceLib: lib } : {}),
  };
}

test(
  'the service library raises an empty VM to what a started skynet service holds; its prototypes stay off the heap',
  { skip },
  () => {
    const bare = checkScript(script(RPG, null), 'per-player');
    const lib = checkScript(script(RPG, LUALIB), 'per-player');
    assert.equal(lib.sandboxBytes, bare.emptyBytes, 'the bare sandbox VM is the same either way');
    // Against skynet's 41.9 KiB (both after a full collection): Lua 5.4.4 here, 5.5.0 there, and the prototypes'
    // constant strings sit in this VM's string table (skynet's shared strings do not), and the prelude registers
    // the agent's "lua" dispatch (CMD, its closures), so not equal (measured 45.0 KiB, 1.07); a library not loaded
    // (13.5 KiB) or prototypes on the heap (about 105 KiB) fail.
    const r = lib.emptyBytes / SKYNET_STARTED_VM;
    assert.ok(
      r >= 0.85 && r <= 1.25,
      `empty VM with the library ${(lib.emptyBytes / 1024).toFixed(1)} KiB vs skynet's 41.9 KiB (ratio ${r.toFixed(2)})`,
    );
    assert.ok(
      lib.libCodeBytes >= 40 * 1024 && lib.libCodeBytes <= 160 * 1024,
      `prototypes in the code heap ${(lib.libCodeBytes / 1024).toFixed(1)} KiB`,
    );
    // The player's own state does not change with the library: login adds about as much either way.
    const added = lib.loginBytes - lib.emptyBytes;
    const addedBare = bare.loginBytes - bare.emptyBytes;
    assert.ok(
      Math.abs(added - addedBare) < 0.15 * addedBare,
      `login adds ${added} B with the library, ${addedBare} B without`,
    );
    // Every VM of the check is closed: the code heap holds nothing (frees went to the heap each block came from).
    assert.equal(loadLua().codeHeapBytes(), 0);
  },
);

test(
  'madv-free: agents with the service library cost their VM bytes in jemalloc, not their prototypes',
  { skip },
  async () => {
    const s = script(RPG, LUALIB);
    const check = checkScript(s, 'per-player');
    const m = await measureLuaAgents(s, 100, 'lib');
    assert.ok(
      m.vmBytes >= check.loginBytes * 0.9,
      `VMs hold ${Math.round(m.vmBytes)} B each; the check saw ${check.loginBytes} B after login`,
    );
    // Prototypes (check.libCodeBytes, ~65 KiB) in jemalloc would put perPlayer far above vmBytes.
    assert.ok(
      m.perPlayer >= m.vmBytes * 0.98 && m.perPlayer <= m.vmBytes * 1.3,
      `allocated per player ${Math.round(m.perPlayer)} B vs VM bytes ${Math.round(m.vmBytes)} B`,
    );
    const added = m.peak - m.base;
    assert.ok(
      Math.abs(m.end - m.base) < 0.02 * added,
      `after every lua_close allocated is ${m.end - m.base} B from baseline`,
    );
  },
);

test('a library that fails to load is a clear error with its own file:line; a runaway one is stopped', { skip }, () => {
  const broken = join(tmp, 'broken');
  mkdirSync(join(broken, 'skynet'), { recursive: true });
  writeFileSync(join(broken, 'skynet.lua'), 'local c = require "skynet.core"\nlocal x = = 1\n');
  assert.throws(
    () => checkScript(script(RPG, broken), 'per-player'),
    (e: Error & { code?: string }) =>
      e.code === 'ERR_SCRIPT' &&
      /the service library .*broken failed to load: .*broken\/skynet\.lua:2:/.test(e.message),
  );
  const missing = join(tmp, 'missing');
  mkdirSync(missing, { recursive: true });
  writeFileSync(join(missing, 'skynet.lua'), 'local m = require "skynet.nothere"\n');
  assert.throws(
    () => checkScript(script(RPG, missing), 'per-player'),
    /module 'skynet\.nothere' not found in the service library/,
  );
  const escape = join(tmp, 'escape');
  mkdirSync(escape, { recursive: true });
  writeFileSync(join(escape, 'skynet.lua'), 'return require "../../etc/passwd"\n');
  assert.throws(() => checkScript(script(RPG, escape), 'per-player'), /not a module name a service library may load/);
  const loop = join(tmp, 'loop');
  mkdirSync(loop, { recursive: true });
  writeFileSync(join(loop, 'skynet.lua'), 'while true do end\n');
  const s = { ...script(RPG, loop), maxInstructions: 100_000 };
  assert.throws(
    () => checkScript(s, 'per-player'),
    /loop\/skynet\.lua:1: loading the service library ran more than 100000 instructions/,
  );
  const io = join(tmp, 'io');
  mkdirSync(io, { recursive: true });
  writeFileSync(join(io, 'skynet.lua'), 'return io.open("/etc/passwd")\n');
  assert.throws(
    () => checkScript(script(RPG, io), 'per-player'),
    /io\/skynet\.lua:1: attempt to index a nil value \(global 'io'\)/,
  );
  // snlua's os/io/package/debug are in the VM but not reachable: not through package.loaded, not by require.
  const held = join(tmp, 'held');
  mkdirSync(held, { recursive: true });
  writeFileSync(join(held, 'skynet.lua'), 'return package.loaded.os.execute("true")\n');
  assert.throws(
    () => checkScript(script(RPG, held), 'per-player'),
    /held\/skynet\.lua:1: attempt to index a nil value \(field 'os'\)/,
  );
  const req = join(tmp, 'req');
  mkdirSync(req, { recursive: true });
  writeFileSync(join(req, 'skynet.lua'), 'return require("io").open("/etc/passwd")\n');
  assert.throws(() => checkScript(script(RPG, req), 'per-player'), /module 'io' not found in the service library/);
});

test('service_lib in a scenario: relative, ${NAME} or skynet; a bad one is a located problem', () => {
  const file = join(tmp, 's.yaml');
  writeFileSync(join(tmp, 'ok.lua'), 'function login() end\nfunction message() end\n');
  const parse = (server: string) =>
    parseScenario(
      `name: s\nserver:\n  script: ok.lua\n${server}variants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n`,
      file,
    );
  assert.throws(
    () => parse('  service_lib: nope\n'),
    /s\.yaml:4:16 server\.service_lib: no such folder: .*nope \(expected a skynet tree's lualib/,
  );
  mkdirSync(join(tmp, 'empty-lib'), { recursive: true });
  assert.throws(
    () => parse('  service_lib: empty-lib\n'),
    /s\.yaml:4:16 server\.service_lib: .*empty-lib holds no skynet\.lua/,
  );
  delete process.env['SIMLOAD_TEST_NO_SUCH_VAR'];
  assert.throws(
    () => parse('  service_lib: ${SIMLOAD_TEST_NO_SUCH_VAR}\n'),
    /server\.service_lib: \$\{SIMLOAD_TEST_NO_SUCH_VAR\} is not set/,
  );
  assert.throws(
    () =>
      parseScenario(
        `name: s\nserver:\n  service_lib: x\nvariants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n`,
        file,
      ),
    /server\.service_lib: only applies with `script:`/,
  );
  if (LUALIB) {
    const s = parse('  service_lib: skynet\n');
    assert.equal(s.server.script?.serviceLib, LUALIB);
    process.env['SIMLOAD_TEST_LUALIB'] = LUALIB;
    assert.equal(parse('  service_lib: ${SIMLOAD_TEST_LUALIB}\n').server.script?.serviceLib, LUALIB);
  }
});

test(
  "with the library a message runs inside skynet.lua's dispatch coroutine, from its pool: no bytes per message",
  { skip },
  () => {
    // message(1) notes the coroutine it runs on; message(2) reports it through an error (the script's only way out).
    const where = [
      'local seen',
      'function login() end',
      'function message(n)',
      '  local co, main = coroutine.running()',
      '  if n == 1 then seen = { co = co, main = main, y = coroutine.isyieldable() } return end',
      '  error(string.format("main=%s yieldable=%s same=%s", tostring(seen.main), tostring(seen.y), tostring(seen.co == co)))',
      'end',
    ].join('\n');
    const p = join(tmp, 'where.lua');
    writeFileSync(p, where);
    // Without the library the handler is called on the VM's main thread; with it, on a coroutine that skynet.lua's
    // co_create handed out (yieldable), the same one for both messages (its pool gave it back after message(1)).
    assert.throws(
      () => checkScript(script(p, null), 'per-player'),
      /where\.lua:6: main=true yieldable=false same=true/,
    );
    assert.throws(
      () => checkScript(script(p, LUALIB), 'per-player'),
      /where\.lua:6: main=false yieldable=true same=true/,
    );

    // 200 messages after warm-up: one coroutine throughout, and not a byte more (a coroutine per message, or a
    // session entry left behind, would grow the VM by about a KiB per message before any collection).
    const src = [
      'local state, last, switched = {}, nil, 0',
      'function login(id) state.id = id end',
      'function message(n, p)',
      '  local co = coroutine.running()',
      '  if last and co ~= last then switched = switched + 1 end',
      '  last = co',
      '  state.n = n',
      '  if n == 221 then error("switched " .. switched) end',
      'end',
      'function logout() end',
    ].join('\n');
    const h = vm(src, LUALIB);
    try {
      assert.ok('bytes' in call(h, LuaFn.login, 7));
      const bytes: number[] = [];
      for (let n = 1; n <= 220; n++) {
        const r = call(h, LuaFn.message, n, 7);
        assert.ok('bytes' in r, `message(${n}): ${'error' in r ? r.error : ''}`);
        bytes.push(r.bytes);
      }
      const after = bytes.slice(20);
      assert.equal(
        Math.max(...after) - Math.min(...after),
        0,
        `VM bytes over 200 messages after warm-up: ${Math.min(...after)}..${Math.max(...after)}`,
      );
      assert.deepEqual(call(h, LuaFn.message, 221, 7), { error: `${join(tmp, 'probe.lua')}:8: switched 0` });
    } finally {
      lua().vmClose(h);
    }
  },
);

test(
  'with the library a runaway, an error, a refused allocation and a failed login give the same errors as without',
  { skip },
  () => {
    const src = [
      'local state',
      'function login(id) if id == 2 then error("no login for " .. id) end state = { id = id, items = {} } end',
      'function message(n)',
      '  if n == 3 then while true do end end',
      '  if n == 4 then error("boom at " .. n) end',
      '  if n == 5 then local s = string.rep("x", 1 << 30) state.big = s end',
      '  if n == 6 then error({}) end',
      '  if n == 7 then for i = 1, 3 do pcall(function() while true do end end) end while true do end end',
      '  if n == 8 then pcall(function() while true do end end) local x = 0 for i = 1, 50000 do x = x + i end end',
      '  if n == 9 then pcall(function() while true do end end) return end',
      '  state.items[#state.items + 1] = n',
      'end',
      'function logout(id) if id == 3 then error("bye " .. id) end end',
    ].join('\n');
    const run = (lib: string | null) => {
      const h = vm(src, lib, 2_000_000);
      try {
        const out = [call(h, LuaFn.login, 2), call(h, LuaFn.login, 1)];
        for (let n = 1; n <= 10; n++) out.push(call(h, LuaFn.message, n, 1));
        out.push(call(h, LuaFn.logout, 3), call(h, LuaFn.logout, 1));
        return out.map((r) => ('error' in r ? r.error : 'ok'));
      } finally {
        lua().vmClose(h);
      }
    };
    const probe = join(tmp, 'probe.lua');
    const expected = [
      `${probe}:2: no login for 2`,
      'ok',
      'ok',
      'ok',
      `${probe}:4: message(3) ran more than 2000000 instructions (stopped)`,
      `${probe}:5: boom at 4`,
      `${probe}: message(5) ran out of memory: the VM's limit is 67108864 bytes (not enough memory)`,
      'error object is not a string',
      // a stop the script catches is raised again where its pcall returns: a stopped call stays stopped
      `${probe}:8: message(7) ran more than 2000000 instructions (stopped; the script caught the stop and ran on)`,
      `${probe}:9: message(8) ran more than 2000000 instructions (stopped; the script caught the stop and ran on)`,
      `${probe}:10: message(9) ran more than 2000000 instructions (stopped; the script caught the stop and ran on)`,
      'ok', // the VM serves on after each
      `${probe}:13: bye 3`,
      'ok',
    ];
    assert.deepEqual(run(null), expected);
    assert.deepEqual(run(LUALIB), expected);
  },
);

test('a script cannot outrun its budget by catching the stop: pcall, xpcall and coroutine.resume in a loop are stopped', () => {
  // Each of these ran forever before the catchers were guarded (the hook's error was caught at every turn).
  const src = [
    'local function spin() while true do end end',
    'function login() end',
    'function message(n)',
    '  if n == 1 then while true do pcall(spin) end end',
    '  if n == 2 then while true do xpcall(spin, function(e) return e end) end end',
    '  if n == 3 then while true do coroutine.resume(coroutine.create(spin)) end end',
    '  if n == 4 then',
    '    -- still yieldable through the guarded pcall, as through the original',
    '    local co = coroutine.wrap(function() local ok, v = pcall(coroutine.yield, 1) return ok and v end)',
    '    assert(co() == 1 and co(2) == 2)',
    '  end',
    'end',
  ].join('\n');
  const h = vm(src, null, 1_000_000);
  try {
    const probe = join(tmp, 'probe.lua');
    const out = [1, 2, 3, 4].map((n) => {
      const r = call(h, LuaFn.message, n, 1);
      return 'error' in r ? r.error : 'ok';
    });
    assert.deepEqual(out, [
      `${probe}:4: message(1) ran more than 1000000 instructions (stopped; the script caught the stop and ran on)`,
      `${probe}:5: message(2) ran more than 1000000 instructions (stopped; the script caught the stop and ran on)`,
      `${probe}:6: message(3) ran more than 1000000 instructions (stopped; the script caught the stop and ran on)`,
      'ok',
    ]);
  } finally {
    lua().vmClose(h);
  }
});

// skynet's C side per service, from its source (native/agent.c, SERVICE_BLOCKS): struct snlua 56, struct
// skynet_context 128, struct message_queue 56 and 64 struct skynet_message of 24, each behind skynet_malloc's
// 16-byte cookie.
const SERVICE_STRUCT_BYTES = 56 + 128 + 56 + 64 * 24 + 4 * 16;

test(
  "with the library each VM also holds skynet's per-service C structures in the variant's heap, freed at close",
  { skip },
  () => {
    const f = lua();
    const N = 50;
    const src = 'function login() end function message() end';
    const bare = Array.from({ length: N }, () => vm(src, null));
    assert.equal(f.serviceBytes(), 0, 'without the library a VM is only its Lua state');
    bare.forEach((h) => f.vmClose(h));
    alloc!.purge();
    const base = alloc!.stats().allocated;
    const vms = Array.from({ length: N }, () => vm(src, LUALIB));
    assert.equal(f.serviceBytes(), N * SERVICE_STRUCT_BYTES);
    // In jemalloc besides the VMs' own bytes: at least the structures (size classes only round up). A bound, not a
    // proof: jemalloc's rounding of Lua's own blocks (about 5 KiB per VM) is larger than the structures.
    const added = alloc!.stats().allocated - base;
    const vmBytes = vms.reduce((a, h) => a + f.vmBytes(h), 0);
    assert.ok(
      added - vmBytes >= N * SERVICE_STRUCT_BYTES,
      `allocated +${added} B for ${N} VMs of ${vmBytes} B: ${added - vmBytes} B beyond them`,
    );
    vms.forEach((h) => f.vmClose(h));
    assert.equal(f.serviceBytes(), 0);
    alloc!.purge();
    assert.ok(
      Math.abs(alloc!.stats().allocated - base) < 0.02 * added,
      `after closing: ${alloc!.stats().allocated - base} B from the baseline`,
    );
  },
);
