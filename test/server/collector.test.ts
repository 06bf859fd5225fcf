// The collector of an agent VM is stopped while the VM starts, as snlua's init_cb stops it, and must run again
// once the VM has started: garbage made per message is collected by Lua's own pacing, on both Luas, with and
// without the service library. (npm run fidelity:gc compares its pacing with a real skynet's.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Allocator } from '../../src/alloc/allocator.js';
import { attachLua, LuaFn } from '../../src/server/lua-vm.js';
import { serviceLib, skynetLua } from '../../src/scenario/script.js';
import { VARIANTS } from './client.js';

const tmp = mkdtempSync(join(tmpdir(), 'simload-collector-'));
const SKY = skynetLua(() => undefined);
const LUALIB = serviceLib('skynet', tmp, () => undefined);

// about 3 KiB of garbage per message, nothing kept
const GARBAGE =
  'function login() end\nfunction message(n) local t = {} for i = 1, 40 do t[i] = string.rep("x", 60) .. i .. ":" .. n end end\n';
const MESSAGES = 5000; // about 15 MiB of garbage in all

function garbageHeld(luaLib: string | undefined, lib: string): { start: number; end: number } {
  const f = attachLua(luaLib);
  const src = Buffer.from(GARBAGE, 'utf8');
  const h = f.vmNew(src, src.length, join(tmp, 'garbage.lua'), 10_000_000, 64 * 2 ** 20, 1, lib);
  assert.ok(h >= 0, f.lastError());
  const start = f.call(h, LuaFn.login, 1, 0);
  let end = start;
  for (let n = 1; n <= MESSAGES; n++) end = f.call(h, LuaFn.message, n, 1);
  assert.ok(end > 0, f.lastError());
  assert.equal(f.vmClose(h), 0);
  return { start, end };
}

Allocator.load(VARIANTS['madv-free']!);

const cases: [string, string | undefined, string, string | false][] = [
  ["Debian's Lua, bare", undefined, '', false],
  ["Debian's Lua, skynet's lualib", undefined, LUALIB ?? '', LUALIB ? false : 'no skynet peer build'],
  [
    "skynet's Lua, skynet's lualib",
    SKY?.lib,
    LUALIB ?? '',
    SKY && LUALIB ? false : 'no skynet peer build with its agent library',
  ],
];
for (const [name, luaLib, lib, skip] of cases) {
  test(`${name}: the collector runs once the VM has started (15 MiB of garbage, the VM stays small)`, { skip }, () => {
    const { start, end } = garbageHeld(luaLib, lib);
    // A collector left stopped would hold all of it (> 10 MiB); a running one keeps a few minor cycles' worth.
    assert.ok(end < start + 1024 * 1024, `VM ${start} B after login, ${end} B after ${MESSAGES} messages`);
  });
}
