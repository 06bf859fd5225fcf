-- A service that keeps C memory and then exits. `leak` packs strings with skynet.pack, whose buffers are
-- skynet_malloc'd in C and charged to this service by skynet's malloc_hook, and drops the pointers without
-- skynet.trash (as a service that packs a message and never sends it does); it returns the bytes packed and
-- what skynet.memory.current() (this service's C memory) grew by. `exit` prints this service's C memory and
-- exits: the bytes stay charged to its handle.
local skynet = require "skynet"
local memory = require "skynet.memory"

local CMD = {}
function CMD.leak(n, size)
  local before = memory.current()
  local packed = 0
  for _ = 1, n do
    local _, sz = skynet.pack(string.rep("c", size))
    packed = packed + sz
  end
  collectgarbage("collect") -- the strings are garbage: only the C buffers stay
  return packed, memory.current() - before
end

skynet.start(function()
  skynet.dispatch("lua", function(_, _, cmd, ...)
    if cmd == "exit" then
      skynet.error(string.format("SIMLOAD cleak exits holding %d", memory.current()))
      skynet.exit()
    else
      skynet.ret(skynet.pack(CMD[cmd](...)))
    end
  end)
end)
