-- The collector in a real skynet's agents, for bench/fidelity-gc.ts: starts `simload_gc_n` simload_agent services
-- with the agent script `simload_gc_script`, logs each in, then sends every agent one message per round for
-- `simload_gc_rounds` rounds. Every `simload_gc_every` rounds (once each agent has handled the round: a debug MEM
-- call queues behind its messages) it prints `GC round=R lua=KiB alloc=B`: the agents' Lua memory summed
-- (skynet's own `mem`, collectgarbage("count")) and jemalloc's stats.allocated; then stops skynet.
local skynet = require "skynet"
local memory = require "skynet.memory"
require "skynet.manager"

local N = math.tointeger(tonumber(skynet.getenv("simload_gc_n")))
local ROUNDS = math.tointeger(tonumber(skynet.getenv("simload_gc_rounds")))
local EVERY = math.tointeger(tonumber(skynet.getenv("simload_gc_every")))
local script = skynet.getenv("simload_gc_script")

local function report(round, agents)
  local kib = 0
  for i = 1, #agents do kib = kib + skynet.call(agents[i], "debug", "MEM") end
  print(string.format("GC round=%d lua=%.2f alloc=%.0f", round, kib, memory.jestat()["stats.allocated"]))
end

skynet.start(function()
  skynet.dispatch("lua", function() end) -- an agent's error report: not expected, ignored here
  skynet.fork(function()
    local ok, err = pcall(function()
      local agents = {}
      for i = 1, N do agents[i] = skynet.newservice("simload_agent", script, i, skynet.self()) end
      for i = 1, N do
        local done, e = skynet.call(agents[i], "lua", "login")
        assert(done, e)
      end
      report(0, agents)
      for r = 1, ROUNDS do
        for i = 1, N do skynet.send(agents[i], "lua", "message") end
        if r % EVERY == 0 then report(r, agents) end
      end
    end)
    if not ok then print("GC-ERROR " .. tostring(err)) end
    io.stdout:flush()
    skynet.abort()
  end)
end)
