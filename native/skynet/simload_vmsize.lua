-- What one agent VM holds in a real skynet (docs/fidelity.md, "What one agent VM holds"), for bench/fidelity-vm.ts.
-- Starts `simload_vmsize_n` services of each kind below, one after the other, and prints per kind the jemalloc
-- `stats.allocated` they added per service and their Lua memory (collectgarbage("count") after a full
-- collection), as `VMSIZE kind=K alloc=B c0=KiB c1=KiB c2=KiB` lines; then stops skynet.
--   bare: snlua + loader.lua, no skynet library (simload_vmsize_bare.lua: c0 only)
--   lib: requires skynet (c0 before, c1 after), then skynet.start (c2)
--   agent: simload_agent.lua with an empty agent script (c2 = skynet's own per-service `mem`)
-- Set `preload` to a file that runs `require("skynet.codecache").mode("OFF")` to see the prototypes counted per VM.
local skynet = require "skynet"
local memory = require "skynet.memory"
require "skynet.manager"

local N = math.tointeger(tonumber(skynet.getenv("simload_vmsize_n")))
local empty_script = skynet.getenv("simload_vmsize_script")
local out = skynet.getenv("simload_vmsize_out")

local function allocated() return memory.jestat()["stats.allocated"] end

local function measure(kind)
  local keep = {}
  local function start(i)
    if kind == "bare" then return skynet.launch("snlua", "simload_vmsize_bare " .. out) end
    if kind == "lib" then return skynet.newservice("simload_vmsize_lib") end
    return skynet.newservice("simload_agent", empty_script, i, skynet.self())
  end
  start(0) -- one first, so one-time costs (code cache, launcher tables) are not counted
  skynet.sleep(20)
  local a0 = allocated()
  for i = 1, N do keep[i] = start(i) end
  skynet.sleep(50)
  local per = (allocated() - a0) / N
  local c0, c1, c2 = 0, 0, 0
  if kind == "bare" then
    local f = assert(io.open(out, "r"))
    local n = 0
    for line in f:lines() do n = n + 1 if n > 1 then c0 = c0 + tonumber(line) end end
    f:close()
    c0 = c0 / N
  elseif kind == "lib" then
    for i = 1, N do
      local a, b, c = skynet.call(keep[i], "lua")
      c0, c1, c2 = c0 + a, c1 + b, c2 + c
    end
    c0, c1, c2 = c0 / N, c1 / N, c2 / N
  else
    local mem = skynet.call(".launcher", "lua", "MEM")
    local n = 0
    for _, v in pairs(mem) do
      local k = v:find("simload_agent", 1, true) and tonumber(v:match("([%d%.]+) Kb"))
      if k then c2, n = c2 + k, n + 1 end
    end
    c2 = c2 / math.max(n, 1)
  end
  print(string.format("VMSIZE kind=%s n=%d alloc=%.0f c0=%.2f c1=%.2f c2=%.2f", kind, N, per, c0, c1, c2))
end

skynet.start(function()
  skynet.fork(function()
    local ok, err = pcall(function() for _, k in ipairs { "bare", "lib", "agent" } do measure(k) end end)
    if not ok then print("VMSIZE-ERROR " .. tostring(err)) end
    io.stdout:flush()
    skynet.abort()
  end)
end)
