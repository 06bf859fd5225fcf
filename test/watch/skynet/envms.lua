-- A number from the skynet config (the tests write their settings there as `key = value`), or a default.
local skynet = require "skynet"

return function(key, default)
  return tonumber(skynet.getenv(key) or default)
end
