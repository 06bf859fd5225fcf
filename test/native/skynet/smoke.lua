-- A skynet service for test/native/skynet-build.test.ts: builds ~100 MB of Lua strings, drops them, keeps the
-- arenas busy for 3 s so decay runs, then prints what /proc and jemalloc say and stops skynet.
local skynet = require "skynet"
local memory = require "skynet.memory"
require "skynet.manager" -- skynet.abort

local function rollup(field)
  local f = assert(io.open("/proc/self/smaps_rollup"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match(field .. ":%s+(%d+) kB")) * 1024
end

skynet.start(function()
  local t = {}
  for i = 1, 400000 do t[i] = string.rep("x", 200) .. i end
  local peak = rollup("Rss")
  t = nil
  collectgarbage("collect")
  for _ = 1, 30 do
    skynet.sleep(10)
    local u = {}
    for j = 1, 5000 do u[j] = { j } end
  end
  print(string.format("SIMLOAD peak=%d rss=%d lazyfree=%d dirty_decay_ms=%d muzzy_decay_ms=%d",
    peak, rollup("Rss"), rollup("LazyFree"), memory.mallctl("opt.dirty_decay_ms"), memory.mallctl("opt.muzzy_decay_ms")))
  io.stdout:flush()
  skynet.abort()
end)
