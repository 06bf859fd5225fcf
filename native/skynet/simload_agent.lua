-- One player's agent service in a real skynet, for simload's fidelity comparison (docs/fidelity.md). Like a
-- watchdog's agent: its own Lua VM (snlua allocates it through je_realloc on whichever worker runs it), built up
-- by the agent script at login, touched per message, and freed whole by skynet.exit() at logout.
-- Started by simload_driver.lua as `skynet.newservice("simload_agent", SCRIPT_PATH, PLAYER_ID, DRIVER[, "gate"])`;
-- with "gate", its messages come from a client socket through simload_gate.lua (PTYPE_CLIENT), as in a game server.
-- The agent script's contract is simload's (docs/fidelity.md): globals login(player_id), message(n) and,
-- optionally, logout(player_id), run in a sandbox.
local skynet = require "skynet"

local script_path, player_arg, driver_arg, transport = ...
local player_id = math.tointeger(tonumber(player_arg))
local driver = tonumber(driver_arg)

-- A handler may run at most this many VM instructions; then it is stopped with an error (counted by the driver).
local INSTRUCTION_LIMIT = 50000000

-- What a script may use: the pure parts of the standard library, os.time and os.clock. No io, os.*, package,
-- debug, load/loadstring/loadfile/dofile, require, collectgarbage.
local function sandbox()
  local env = {}
  for _, k in ipairs { "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget",
    "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION", "print" } do
    env[k] = _G[k]
  end
  -- The libraries themselves, not copies: a real agent's code reads the service's own string/table/... tables,
  -- and a copy per agent (2.3 KiB of Lua memory, measured by npm run fidelity:vm) is memory no real agent holds. A script that changes one changes it for
  -- its own service only (each agent is its own VM), as in a real agent. (guard_catchers then gives the script
  -- pcall, xpcall and a coroutine table whose resume are guarded, as simload's sandbox does.)
  for _, lib in ipairs { "string", "table", "math", "utf8", "coroutine" } do
    env[lib] = _G[lib]
  end
  env.os = { time = os.time, clock = os.clock }
  env._G = env
  return env
end

-- A stopped handler stays stopped (as in simload's VMs, native/agent_sandbox.c): what the script could catch the
-- stop with raises it again when it returns, so a loop around a pcall cannot run on forever.
local stopped = false -- set by the instruction hook (too_long), cleared by call() before each handler
local function guard(f)
  return function(...)
    local r = table.pack(f(...))
    if stopped then
      error("handler stopped after " .. INSTRUCTION_LIMIT .. " instructions (the script caught the stop and ran on)", 2)
    end
    return table.unpack(r, 1, r.n)
  end
end

local function guard_catchers(env)
  env.pcall, env.xpcall = guard(pcall), guard(xpcall)
  local co = {}
  for k, v in pairs(coroutine) do co[k] = v end
  co.resume = guard(coroutine.resume)
  env.coroutine = co
end

local env
local load_error
do
  -- loadfile, as a service's own files are loaded: through skynet's code cache (one copy of the script's
  -- prototypes per process, a closure per agent)
  env = sandbox()
  guard_catchers(env)
  local chunk, cerr = loadfile(script_path, "t", env)
  if not chunk then
    load_error = "cannot load agent script " .. tostring(script_path) .. ": " .. tostring(cerr)
  else
    local ok, rerr = pcall(chunk)
    if not ok then
      load_error = tostring(rerr)
    elseif type(env.login) ~= "function" or type(env.message) ~= "function" then
      load_error = script_path .. ": the agent script must define global functions login(player_id) and message(n)"
    end
  end
end

local function too_long()
  stopped = true
  error("handler stopped after " .. INSTRUCTION_LIMIT .. " instructions (runaway loop?)", 2)
end

-- Runs one of the script's handlers under the instruction limit; returns ok, err.
local function call(fn, arg)
  stopped = false
  debug.sethook(too_long, "", INSTRUCTION_LIMIT)
  local ok, err = pcall(fn, arg)
  debug.sethook()
  return ok, err
end

local received = 0

local CMD = {}

-- Answered (skynet.call): true, or false and the error, so a bad script fails before the ramp.
function CMD.login()
  if load_error then return false, load_error end
  local ok, err = call(env.login, player_id)
  if not ok then return false, tostring(err) end
  return true
end

function CMD.message()
  received = received + 1
  local ok, err = call(env.message, received)
  if not ok then skynet.send(driver, "lua", "error", player_id, tostring(err)) end
end

function CMD.logout()
  if env and type(env.logout) == "function" then
    local ok, err = call(env.logout, player_id)
    if not ok then skynet.send(driver, "lua", "error", player_id, tostring(err)) end
  end
  skynet.exit() -- frees this service's whole Lua VM
end

skynet.start(function()
  if transport == "gate" then
    -- As skynet's examples/agent.lua: the gate redirects each packet with the client's fd as the session. The
    -- packet carries nothing the script needs (message(n) gets the count), so it is not decoded; skynet frees it
    -- after this dispatch.
    skynet.register_protocol {
      name = "client",
      id = skynet.PTYPE_CLIENT,
      unpack = function(_, sz) return sz end,
      dispatch = function()
        skynet.ignoreret() -- the session is the fd: nothing to answer
        CMD.message()
      end,
    }
  end
  skynet.dispatch("lua", function(session, _, cmd, ...)
    local f = CMD[cmd]
    if session ~= 0 then
      skynet.retpack(f(...))
    else
      f(...)
    end
  end)
end)
