-- An snlua service without skynet's library (simload_vmsize.lua): appends its Lua memory to the file named.
collectgarbage()
collectgarbage()
local f = assert(io.open((...), "a"))
f:write(string.format("%.3f\n", collectgarbage("count")))
f:close()
