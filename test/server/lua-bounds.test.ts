// Every entry into an agent VM is bounded: a pattern that backtracks stops at the instruction budget (Lua's
// matcher runs in C, where the count hook never fires) and a finalizer, which Lua runs with the hooks off, is
// refused when it is set. The hostile scripts run in a child process, so a check that never returns fails the
// test at the child's kill instead of hanging the suite.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const CHECK = join(process.cwd(), 'dist', 'src', 'server', 'script-check.js');
/** Kills a child whose check never returns; no check here takes more than a fraction of this when bounded. */
const HANG_MS = 120_000;
const BUDGET = 2_000_000;

interface Outcome {
  path: string;
  ok: boolean;
  code?: string;
  message?: string;
}

/** Runs checkScript on each script in one child process; its outcomes, or a failed assertion if it hung. */
function checkAll(scripts: Array<{ path: string; source: string }>): Outcome[] {
  const code = `
    const { checkScript } = await import(${JSON.stringify(CHECK)});
    const out = [];
    for (const s of ${JSON.stringify(scripts)}) {
      try {
        checkScript({ ...s, maxInstructions: ${BUDGET}, maxMemoryBytes: 64 * 2 ** 20 }, 'per-player');
        out.push({ path: s.path, ok: true });
      } catch (e) {
        out.push({ path: s.path, ok: false, code: e.code, message: e.message });
      }
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: HANG_MS,
    killSignal: 'SIGKILL',
  });
  assert.equal(
    r.signal,
    null,
    `the script check did not return within ${HANG_MS / 1000} s (killed): a VM entry is unbounded`,
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome[];
}

const HANDLERS = 'function login(id) end\nfunction message(n) end\n';

test("patterns that backtrack stop at the instruction budget in find, match, gmatch and gsub, at the caller's line", () => {
  // 3 000 characters against five lazy items: about 3000^5/120 steps of Lua's matcher, with one instruction to count.
  const subject = 'local s = string.rep("a", 3000)\nlocal p = ".-.-.-.-.-b"\n';
  const scripts = [
    { path: 'find.lua', source: `${subject}function login(id) return s:find(p) end\nfunction message(n) end\n` },
    {
      path: 'match.lua',
      source: `${subject}function login(id) end\nfunction message(n) return string.match(s, p) end\n`,
    },
    {
      path: 'gmatch.lua',
      source: `${subject}function login(id) for x in s:gmatch(p) do end end\nfunction message(n) end\n`,
    },
    { path: 'gsub.lua', source: `${subject}function login(id) return (s:gsub(p, "x")) end\nfunction message(n) end\n` },
    // a plain find whose every candidate compares a long needle: n * m bytes
    {
      path: 'plain.lua',
      source: `local s = string.rep("a", 400000)\nlocal p = string.rep("a", 200000) .. "b"\nfunction login(id) return s:find(p, 1, true) end\nfunction message(n) end\n`,
    },
    // the main chunk is an entry too
    { path: 'chunk.lua', source: `${subject}local x = s:find(p)\n${HANDLERS}` },
    // a pcall around it cannot catch the stop and go on
    {
      path: 'caught.lua',
      source: `${subject}function login(id) for i = 1, 100 do pcall(string.find, s, p) end end\nfunction message(n) end\n`,
    },
  ];
  const got = checkAll(scripts);
  const line = {
    'find.lua': 3,
    'match.lua': 4,
    'gmatch.lua': 3,
    'gsub.lua': 3,
    'plain.lua': 3,
    'chunk.lua': 3,
    'caught.lua': 3,
  } as Record<string, number>;
  for (const o of got) {
    assert.equal(o.ok, false, `${o.path} passed the check`);
    assert.equal(o.code, 'ERR_SCRIPT', o.path);
    assert.match(o.message!, new RegExp(`^${o.path.replace('.', '\\.')}:${line[o.path]}: .*\\b${BUDGET}\\b`), o.path);
  }
});

test('patterns within the budget give what Lua 5.4 gives', () => {
  // Every feature of the matcher, asserted inside the VM: a wrong result is an error of the check.
  const source = `
    local function eq(a, b) if a ~= b then error(tostring(a) .. " ~= " .. tostring(b), 2) end end
    eq(select(2, ("hello world"):find("o w")), 7)
    eq(("hello world"):find("l+"), 3)
    eq(("a.b"):find(".", 1, true), 2)
    eq(("key = value"):match("^(%w+)%s*=%s*(%w+)$"), "key")
    eq(select(2, ("key = value"):match("^(%w+)%s*=%s*(%w+)$")), "value")
    eq(("THE (quick) fox"):find("%((%a+)%)"), 5)
    eq(("f(a(b)c)d"):match("%b()"), "(a(b)c)")
    eq(("THE (quick) fox"):gsub("%f[%a]%a+", "w"), "w (w) w")
    eq(("hello"):match("()ll()"), 3)
    eq(("abc"):gsub("%w", "%0%0"), "aabbcc")
    eq(("$name is $age"):gsub("%$(%w+)", { name = "lua", age = 30 }), "lua is 30")
    eq(("abc"):gsub("b", function(c) return c:upper() end), "aBc")
    eq(select(2, ("a,b,,c"):gsub(",", ";", 2)), 2)
    local n = 0
    for k, v in ("a=1, b=2, c=3"):gmatch("(%w+)=(%w+)") do n = n + tonumber(v) end
    eq(n, 6)
    local t = {}
    for w in ("one two three"):gmatch("%a+", 5) do t[#t + 1] = w end
    eq(table.concat(t, "|"), "two|three")
    eq(("x"):rep(3):match("^(x*)$"), "xxx")
    eq(("aaab"):match("a-b"), "aaab")
    eq(("[x]"):match("[%[]"), "[")
    eq(pcall(string.find, "a", "%"), false)
    ${HANDLERS}`;
  const [o] = checkAll([{ path: 'patterns.lua', source }]);
  assert.deepEqual(o, { path: 'patterns.lua', ok: true });
});

test('a finalizer is refused when it is set: Lua runs __gc with the hooks off, at any collection and at lua_close', () => {
  const loop = 'function() while true do end end';
  const got = checkAll([
    { path: 'gc-chunk.lua', source: `local keep = setmetatable({}, { __gc = ${loop} })\n${HANDLERS}` },
    {
      path: 'gc-login.lua',
      source: `local players = {}\nfunction login(id)\n  players[id] = setmetatable({}, { __gc = ${loop} })\nend\nfunction message(n) end\n`,
    },
    // a placeholder set first and the function put in later would still be a finalizer
    {
      path: 'gc-later.lua',
      source: `local mt = { __gc = true }\nlocal t = setmetatable({}, mt)\nmt.__gc = ${loop}\n${HANDLERS}`,
    },
    {
      path: 'gc-pcall.lua',
      source: `local ok = pcall(setmetatable, {}, { __gc = ${loop} })\nassert(not ok)\n${HANDLERS}`,
    },
    // added after setmetatable, __gc never runs: Lua marks objects for finalization at setmetatable only
    { path: 'gc-after.lua', source: `local mt = {}\nlocal t = setmetatable({}, mt)\nmt.__gc = ${loop}\n${HANDLERS}` },
    {
      path: 'plain-mt.lua',
      source: `local t = setmetatable({}, { __index = function() return 1 end })\nassert(t.x == 1)\n${HANDLERS}`,
    },
  ]);
  const by = Object.fromEntries(got.map((o) => [o.path, o]));
  assert.match(by['gc-chunk.lua']!.message ?? '', /^gc-chunk\.lua:1: /);
  assert.equal(by['gc-chunk.lua']!.code, 'ERR_SCRIPT');
  assert.match(by['gc-login.lua']!.message ?? '', /^gc-login\.lua:3: /);
  assert.match(by['gc-later.lua']!.message ?? '', /^gc-later\.lua:2: /);
  assert.deepEqual(by['gc-pcall.lua'], { path: 'gc-pcall.lua', ok: true });
  assert.deepEqual(by['gc-after.lua'], { path: 'gc-after.lua', ok: true });
  assert.deepEqual(by['plain-mt.lua'], { path: 'plain-mt.lua', ok: true });
});
