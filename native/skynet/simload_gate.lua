-- simload's gate in a real skynet (docs/fidelity.md, "the skynet side's load"): a gate written on skynet's own
-- snax.gateserver, as game servers write theirs and as skynet's service/gate.lua is. Clients' packets (a 2-byte
-- big-endian length, then the bytes) are read by skynet's socket thread, split by netpack on the worker that runs
-- this service, and redirected to the player's agent as PTYPE_CLIENT; the agent's worker frees them. The one
-- thing it adds to service/gate.lua is a count of the packets it forwarded, which the driver samples.
-- Started by simload_driver.lua; the driver is its watchdog.
local skynet = require "skynet"
local gateserver = require "snax.gateserver"

skynet.register_protocol {
  name = "client",
  id = skynet.PTYPE_CLIENT,
}

local watchdog
local agents = {} -- fd -> agent handle, once forwarded
local forwarded, dropped = 0, 0

local handler = {}

function handler.open(source, conf)
  watchdog = source
  return conf.address, conf.port
end

function handler.message(fd, msg, sz)
  local agent = agents[fd]
  if agent then
    forwarded = forwarded + 1
    -- The agent's framework frees msg after its dispatch, as with service/gate.lua.
    skynet.redirect(agent, 0, "client", fd, msg, sz)
  else
    dropped = dropped + 1
    skynet.trash(msg, sz)
  end
end

function handler.connect(fd, addr)
  skynet.send(watchdog, "lua", "socket", "open", fd, addr)
end

function handler.disconnect(fd)
  agents[fd] = nil
  skynet.send(watchdog, "lua", "socket", "close", fd)
end

function handler.error(fd, msg)
  agents[fd] = nil
  skynet.send(watchdog, "lua", "socket", "close", fd, msg)
end

local CMD = {}

function CMD.forward(_, fd, agent)
  agents[fd] = agent
  gateserver.openclient(fd)
end

function CMD.kick(_, fd)
  agents[fd] = nil
  gateserver.closeclient(fd)
end

function CMD.stats()
  return forwarded, dropped
end

function handler.command(cmd, source, ...)
  return assert(CMD[cmd], cmd)(source, ...)
end

gateserver.start(handler)
