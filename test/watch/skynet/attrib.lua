-- The server the attribution test watches (test/watch/attribution.test.ts): a service that keeps C memory and
-- exits (cleak.lua), and a holder (holder.lua) whose Lua memory grows. `SIMLOAD ready` comes grow_after_ms
-- before anything grows, so that the test can mark the start; `SIMLOAD grown` after both grew; then the
-- leaker exits (it prints its own C memory first).
local skynet = require "skynet"

local ms = require "envms"

skynet.start(function()
  skynet.newservice("debug_console", "127.0.0.1", ms("console_port", 0))
  local leaker = skynet.newservice("cleak")
  local holder = skynet.newservice("holder")
  skynet.error("SIMLOAD ready")
  skynet.sleep(ms("grow_after_ms", 3000) // 10)
  local packed, charged = skynet.call(leaker, "lua", "leak", ms("leak_blocks", 6), ms("leak_block_bytes", 700000))
  skynet.call(holder, "lua", "build", ms("strings", 30000))
  skynet.error(string.format("SIMLOAD grown packed %d charged %d", packed, charged))
  skynet.sleep(ms("exit_after_ms", 3000) // 10)
  skynet.send(leaker, "lua", "exit")
end)
