-- The server `simload watch` tests watch: a debug console on 127.0.0.1 (port from the config's console_port;
-- 0 = any free one, printed by the console) and a few Lua services that build state, hold it, free it and
-- then keep the arenas busy with small garbage so jemalloc's decay runs. Times and counts come from the config.
local skynet = require "skynet"

local ms = require "envms"

skynet.start(function()
  skynet.newservice("debug_console", "127.0.0.1", ms("console_port", 0))
  local n = ms("holders", 3)
  local holders = {}
  for i = 1, n do holders[i] = skynet.newservice("holder") end
  -- Services that start and exit at once (`churn`, default none): skynet's cmem keeps a line for every
  -- handle it ever charged, so its answer grows with them (bench:watch measures what that costs).
  for _ = 1, ms("churn", 0) do skynet.newservice("brief") end
  skynet.sleep(ms("build_after_ms", 1000) // 10)
  for i = 1, n do skynet.call(holders[i], "lua", "build", ms("strings", 150000)) end
  skynet.error("SIMLOAD built")
  skynet.sleep(ms("hold_ms", 3000) // 10)
  for i = 1, n do skynet.call(holders[i], "lua", "free") end
  skynet.error("SIMLOAD freed")
end)
