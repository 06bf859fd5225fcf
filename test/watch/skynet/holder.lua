-- One service of watched.lua: `build` makes N strings of ~200 bytes (held), `free` drops them and collects;
-- afterwards it makes a little garbage every 100 ms, as a live server does, so decay advances.
local skynet = require "skynet"

local held

local CMD = {}
function CMD.build(n)
  held = {}
  for i = 1, n do held[i] = string.rep("x", 200) .. i end
end

function CMD.free()
  held = nil
  collectgarbage("collect")
  skynet.fork(function()
    while true do
      skynet.sleep(10)
      local t = {}
      for j = 1, 2000 do t[j] = { j } end
    end
  end)
end

skynet.start(function()
  skynet.dispatch("lua", function(_, _, cmd, ...)
    skynet.ret(skynet.pack(CMD[cmd](...)))
  end)
end)
