-- A service that requires skynet and starts (simload_vmsize.lua): answers its Lua memory before the require,
-- after it, and after skynet.start, each after a full collection.
collectgarbage()
collectgarbage()
local c0 = collectgarbage("count")
local skynet = require "skynet"
collectgarbage()
collectgarbage()
local c1 = collectgarbage("count")
skynet.start(function()
  collectgarbage()
  collectgarbage()
  local c2 = collectgarbage("count")
  skynet.dispatch("lua", function() skynet.ret(skynet.pack(c0, c1, c2)) end)
end)
