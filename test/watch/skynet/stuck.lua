-- The server the stuck-arena test watches: holder services (holder.lua) that build state, free it and then keep
-- their workers' arenas busy, and a sink that makes one arena hold pages nobody touches afterwards: it takes a
-- flood of bytes on a TCP connection while it is busy, so skynet's socket thread reads all of it into buffers
-- from its own arena, then frees them at once. After that the socket thread allocates little (console commands),
-- so in jemalloc 5.0.1 that arena's decay is not run for a long time while the holders' arenas decay.
local skynet = require "skynet"
local socket = require "skynet.socket"

local ms = require "envms"

skynet.start(function()
  skynet.newservice("debug_console", "127.0.0.1", ms("console_port", 0))
  local holders = {}
  for i = 1, ms("holders", 2) do holders[i] = skynet.newservice("holder") end
  for i = 1, #holders do skynet.call(holders[i], "lua", "build", ms("strings", 50000)) end
  local listen, _, port = socket.listen("127.0.0.1", 0)
  socket.start(listen, function(fd)
    socket.start(fd)
    -- Busy for a while: the socket thread reads the whole flood into buffers queued for this service.
    local till = skynet.now() + ms("busy_cs", 300)
    while skynet.now() < till do end
    local bytes = 0
    while true do
      local data = socket.read(fd)
      if not data then break end
      bytes = bytes + #data
    end
    socket.close(fd)
    skynet.error("SIMLOAD drained " .. bytes)
    for i = 1, #holders do skynet.call(holders[i], "lua", "free") end
    skynet.error("SIMLOAD freed")
  end)
  skynet.error("SIMLOAD sink " .. port)
end)
