-- A service that exits as soon as it has started (watched.lua's `churn`).
local skynet = require "skynet"

skynet.start(function()
  skynet.exit()
end)
