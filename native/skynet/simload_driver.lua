-- simload's driver inside a real skynet (docs/fidelity.md): plays a simload scenario's phases against one agent
-- service per player (simload_agent.lua) and samples this process's memory into a simload run folder.
-- Reads the plan (a Lua file written by src/fidelity/plan.ts) named by the config's `simload_plan`.
-- The load comes one of two ways (plan.transport):
-- - "driver": this service is the load. Open loop: each online player gets `rate` messages per second, sent
--   round robin (skynet.send) so they are spread evenly, once its think time after login is over. Players who leave are picked at random, as simload's
--   bots are; their agent runs logout() and exits.
-- - "gate": clients in another process (src/fidelity/gate-client.ts) connect over TCP on loopback to
--   simload_gate.lua, as a game server's players do; this service is the watchdog: a connection starts an
--   agent and logs it in (skynet's examples/watchdog.lua), a closed one logs it out. The client keeps the
--   plan's online target and rate; this service keeps the phase clock for the samples and counts the packets
--   the gate forwarded.
local skynet = require "skynet"
local memory = require "skynet.memory"
local socketdriver = require "skynet.socketdriver"
require "skynet.manager" -- skynet.abort

local plan, samples_f, events_f, page -- set by init(), inside the error handler, so a failure stops skynet

local TICK_CS = 1 -- driver tick, centiseconds
-- transport "gate": the clients keep the plan themselves, so the driver only keeps the phase clock, and ticks
-- once a second. Each tick is a timer (allocated on this service's worker, freed by skynet's timer thread) and a
-- coroutine switch: at 100 a second they were jemalloc work on every worker's arena, ~150 decay ticks a second
-- in a quiet hold, that the server being compared has not.
local GATE_TICK_CS = 100
local MAX_PENDING_LOGINS = 512 -- logins in flight; each waits on the launcher and the new service

local online = {} -- agent handles, in no particular order
local online_ids = {} -- player id per slot of `online`
local online_active = {} -- per slot: skynet.now() (cs) from which the player sends, after its think time
local gate -- simload_gate's handle (transport "gate")
local conns = {} -- transport "gate": fd -> { agent = handle or nil while logging in, closed = true once closed }
local gate_online = 0 -- transport "gate": agents logged in whose connection is open
local pending = 0 -- logins started, not answered yet
local next_id = 1
local rr = 0 -- round-robin cursor over `online`
local counters = { messages = 0, errors = 0, logins = 0, logouts = 0, login_errors = 0 }
local state = { phase_index = -1, phase = "baseline", target = 0 }
local phase_clock -- { begin = cs, p = plan phase } of the phase running: the target at any moment
local first_error

local start_cs = skynet.now()
local function t_ms() return (skynet.now() - start_cs) * 10 end
local function wall_ms() return math.floor(skynet.time() * 1000) end


local function json_str(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function append(f, line)
  f:write(line, "\n")
  f:flush()
end

local function event_phase()
  append(events_f, string.format('{"type":"phase","variant":%s,"wall":%d,"t":%d,"phaseIndex":%d,"phase":%s,"target":%d}',
    json_str(plan.variant), wall_ms(), t_ms(), state.phase_index, json_str(state.phase), state.target))
end

local function event_error(code, message)
  append(events_f, string.format('{"type":"error","variant":%s,"wall":%d,"code":%s,"message":%s}',
    json_str(plan.variant), wall_ms(), json_str(code), json_str(message)))
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function kb(text, field)
  local v = text:match(field .. ":%s+(%d+) kB")
  return v and tonumber(v) * 1024 or 0
end

local function init()
  plan = assert(loadfile(assert(skynet.getenv("simload_plan"), "no simload_plan in the config")))()
  samples_f = assert(io.open(plan.samples, "a"))
  events_f = assert(io.open(plan.events, "a"))
  page = memory.mallctl("arenas.page")
  math.randomseed(plan.seed)
end

-- The bins' sizes never change, so they are read once, with the names a sample reads per bin: a sample reads a
-- few hundred mallctls, and fresh name strings each second would be garbage freed on this service's worker,
-- decay ticks on its arena that a server without the driver has not. arenas.nbins is a 4-byte unsigned:
-- memory.mallctl gets EINVAL but has copied it into the low 32 bits.
local bins -- { {size, slab_size, curregs name, curslabs name}, ... } per bin index j + 1
local function bin_table()
  if not bins then
    bins = {}
    for j = 0, (memory.mallctl("arenas.nbins") & 0xffffffff) - 1 do
      local p = "stats.arenas.4096.bins." .. j .. "."
      bins[j + 1] = { memory.mallctl("arenas.bin." .. j .. ".size"), memory.mallctl("arenas.bin." .. j .. ".slab_size"),
        p .. "curregs", p .. "curslabs" }
    end
  end
  return bins
end

-- Each arena's mallctl names, built once (as the bins' above).
local ARENA_FIELDS = { "pdirty", "pmuzzy", "dirty_npurge", "dirty_nmadvise", "dirty_purged", "muzzy_npurge",
  "muzzy_nmadvise", "muzzy_purged" }
local TICK_FIELDS = { "small.ndalloc", "large.nmalloc", "large.ndalloc" }
local arena_names = {} -- arena index -> { mapped = name, fields = { name per ARENA_FIELDS }, ticks = { names } }
local function names_of(i)
  local n = arena_names[i]
  if not n then
    local p = "stats.arenas." .. i .. "."
    n = { mapped = p .. "mapped", fields = {}, ticks = {} }
    for k, f in ipairs(ARENA_FIELDS) do n.fields[k] = p .. f end
    for j = 0, #bin_table() - 1 do n.ticks[#n.ticks + 1] = p .. "bins." .. j .. ".nfills" end
    for _, f in ipairs(TICK_FIELDS) do n.ticks[#n.ticks + 1] = p .. f end
    arena_names[i] = n
  end
  return n
end

-- Per-arena decay, the fields of simload's own samples (src/alloc/stats.ts ArenaDecay), so the report's decay
-- panel shows skynet's arenas too. Only indexes below the arena count are arenas: jemalloc 5.0 still answers
-- stats.arenas.<narenas>.* with the merged totals of all arenas (its old spelling of stats.arenas.4096), which an
-- earlier version of this loop took for one more arena. skynet's memory.mallctl reads 8-byte values only;
-- arenas.narenas refuses any other length, but opt.narenas (the automatic arenas, all skynet has: it creates
-- none) comes back in the low 32 bits (jemalloc copies them and returns EINVAL, which skynet ignores). An index
-- that maps nothing is not initialised (yet).
-- decayTicks: the operations that advance an arena's decay in jemalloc 5.0.x (thread-cache fills, small objects
-- freed to it, large extents allocated and freed), as simload's shim counts them (native/shim_stats.c).
local function arenas_json()
  local out = {}
  local narenas = memory.mallctl("opt.narenas") & 0xffffffff
  for i = 0, narenas - 1 do
    local n = names_of(i)
    if memory.mallctl(n.mapped) > 0 then
      local f = n.fields
      local ticks = 0
      for _, name in ipairs(n.ticks) do ticks = ticks + memory.mallctl(name) end
      out[#out + 1] = string.format('{"arena":%d,"pdirty":%d,"pmuzzy":%d,"dirtyNpurge":%d,"dirtyNmadvise":%d,"dirtyPurged":%d,' ..
        '"muzzyNpurge":%d,"muzzyNmadvise":%d,"muzzyPurged":%d,"decayTicks":%d}', i, memory.mallctl(f[1]) * page,
        memory.mallctl(f[2]) * page, memory.mallctl(f[3]), memory.mallctl(f[4]), memory.mallctl(f[5]),
        memory.mallctl(f[6]), memory.mallctl(f[7]), memory.mallctl(f[8]), ticks)
    end
  end
  return "[" .. table.concat(out, ",") .. "]"
end

-- Where active - allocated lies (src/alloc/stats.ts SizeClasses): per small size class of all arenas merged
-- (4096 = MALLCTL_ARENAS_ALL), and large extents in bulk.
local function size_classes_json()
  local bins = bin_table()
  local out = {}
  for _, b in ipairs(bins) do
    local regs, slabs = memory.mallctl(b[3]), memory.mallctl(b[4])
    if regs > 0 or slabs > 0 then
      out[#out + 1] = string.format('{"size":%d,"slabSize":%d,"regs":%d,"slabs":%d}', b[1], b[2], regs, slabs)
    end
  end
  return string.format('{"bins":[%s],"large":{"allocated":%d,"extents":%d}}', table.concat(out, ","),
    memory.mallctl("stats.arenas.4096.large.allocated"),
    memory.mallctl("stats.arenas.4096.large.nmalloc") - memory.mallctl("stats.arenas.4096.large.ndalloc"))
end

local function online_count()
  if gate then return gate_online end
  return #online
end

-- The plan's online target at `now` (cs) in the phase running, and whether the phase is over.
local function target_at(now)
  local p = phase_clock.p
  local elapsed = (now - phase_clock.begin) * 10
  local f = p.duration_ms <= 0 and 1 or math.min(1, elapsed / p.duration_ms)
  return math.floor(p.from + (p.to - p.from) * f + 0.5), elapsed >= p.duration_ms
end

local function sample()
  if gate then counters.messages = skynet.call(gate, "lua", "stats") end
  if phase_clock and not state.finished then state.target = target_at(skynet.now()) end
  local rollup = read_file("/proc/self/smaps_rollup")
  local status = read_file("/proc/self/status")
  local je = memory.jestat() -- writes `epoch` first, so every figure below is fresh
  local alloc = string.format('{"allocated":%d,"active":%d,"metadata":%d,"resident":%d,"mapped":%d,"retained":%d,"pdirty":%d,"pmuzzy":%d,"arenas":%s,' ..
    '"sizeClasses":%s}',
    je["stats.allocated"], je["stats.active"], memory.mallctl("stats.metadata"), je["stats.resident"],
    je["stats.mapped"], je["stats.retained"], memory.mallctl("stats.arenas.4096.pdirty") * page,
    memory.mallctl("stats.arenas.4096.pmuzzy") * page, arenas_json(), size_classes_json())
  append(samples_f, string.format(
    '{"v":1,"variant":%s,"t":%d,"wall":%d,"phaseIndex":%d,"phase":%s,"target":%d,"online":%d,' ..
    '"proc":{"rss":%d,"lazyFree":%d,"anonymous":%d,"anonHugePages":%d,"vmHWM":%d},"alloc":%s,"runtime":null,' ..
    '"server":{"messages":%d,"errors":%d,"logins":%d,"logouts":%d}}',
    json_str(plan.variant), t_ms(), wall_ms(), state.phase_index, json_str(state.phase), state.target, online_count(),
    kb(rollup, "Rss"), kb(rollup, "LazyFree"), kb(rollup, "Anonymous"), kb(rollup, "AnonHugePages"), kb(status, "VmHWM"),
    alloc, counters.messages, counters.errors, counters.logins, counters.logouts))
end

local CMD = {}
-- The first few errors are logged, and the first few runaway handlers on their own count: a runaway blocks a
-- worker thread for its whole instruction budget, so it may finish after many ordinary errors.
local runaways = 0
function CMD.error(player_id, message)
  counters.errors = counters.errors + 1
  local runaway = message:find("handler stopped after", 1, true) ~= nil
  if runaway then runaways = runaways + 1 end
  if counters.errors <= 5 or (runaway and runaways <= 5) then
    skynet.error(string.format("simload: player %s: %s", tostring(player_id), message))
  end
end

-- Stops skynet with `SIMLOAD-ERROR CODE message` on stdout, which the runner turns into its error.
local function fail(code, message)
  print("SIMLOAD-ERROR " .. code .. " " .. message:gsub("\n", " | "))
  if events_f then event_error(code, message) end
  io.stdout:flush()
  skynet.abort()
end

-- Starts one agent and logs its player in; returns the handle, or nil and the error.
local function start_agent(id, transport)
  local agent = skynet.newservice("simload_agent", plan.script, id, skynet.self(), transport)
  local ok, err = skynet.call(agent, "lua", "login")
  if not ok then
    skynet.kill(agent)
    return nil, err
  end
  return agent
end

local function login(id)
  local agent, err = start_agent(id)
  pending = pending - 1
  if not agent then
    counters.login_errors = counters.login_errors + 1
    first_error = first_error or string.format("login(%d) failed: %s", id, err)
    return
  end
  counters.logins = counters.logins + 1
  online[#online + 1] = agent
  online_ids[#online_ids + 1] = id
  online_active[#online_active + 1] = skynet.now() + (plan.think_time_ms or 0) // 10
end

local function logout_one()
  local i = math.random(#online)
  local agent = online[i]
  online[i] = online[#online]
  online[#online] = nil
  online_ids[i] = online_ids[#online_ids]
  online_ids[#online_ids] = nil
  online_active[i] = online_active[#online_active]
  online_active[#online_active] = nil
  counters.logouts = counters.logouts + 1
  skynet.send(agent, "lua", "logout")
end

-- transport "gate": a client connected. Its player logs in as a watchdog logs a connection in: a new agent, its
-- login, then the gate forwards the connection's packets to it, and the client is told (one framed reply, the
-- shape of simload's login reply) that it may send.
local function gate_open(fd)
  local c = {}
  conns[fd] = c
  local id = next_id
  next_id = next_id + 1
  local agent, err = start_agent(id, "gate")
  if not agent then
    counters.login_errors = counters.login_errors + 1
    first_error = first_error or string.format("login(%d) failed: %s", id, err)
    conns[fd] = nil
    skynet.send(gate, "lua", "kick", fd)
    return
  end
  c.agent = agent
  counters.logins = counters.logins + 1
  if c.closed then -- the client left while its agent was starting
    conns[fd] = nil
    counters.logouts = counters.logouts + 1
    skynet.send(agent, "lua", "logout")
    return
  end
  skynet.call(gate, "lua", "forward", fd, agent)
  gate_online = gate_online + 1
  socketdriver.send(fd, string.pack(">s2", '{"t":"ok","seq":1,"op":"login"}'))
end

local function gate_close(fd)
  local c = conns[fd]
  if not c then return end
  if not c.agent then
    c.closed = true -- gate_open logs it out once its agent is up
    return
  end
  conns[fd] = nil
  gate_online = gate_online - 1
  counters.logouts = counters.logouts + 1
  skynet.send(c.agent, "lua", "logout")
end

function CMD.socket(what, fd)
  if what == "open" then
    skynet.fork(gate_open, fd)
  elseif what == "close" then
    gate_close(fd)
  end
end

-- Brings the online count (with logins in flight) toward the target.
local function steer(target)
  while #online + pending < target and pending < MAX_PENDING_LOGINS do
    local id = next_id
    next_id = next_id + 1
    pending = pending + 1
    skynet.fork(login, id)
  end
  while #online > target do logout_one() end
end

local carry = 0
local function send_messages(rate, dt_s)
  local n = #online
  if n == 0 then return end
  carry = carry + rate * n * dt_s
  local now = skynet.now()
  while carry >= 1 do
    -- the next player past its think time; the rate of players still thinking goes to the others (simload's
    -- bots do the same), and lapses when every player is still thinking
    local found = false
    for _ = 1, n do
      rr = rr % n + 1
      if online_active[rr] <= now then found = true break end
    end
    if not found then carry = carry % 1 return end
    carry = carry - 1
    skynet.send(online[rr], "lua", "message")
    counters.messages = counters.messages + 1
  end
end

local function sampler()
  local interval_cs = math.max(1, plan.interval_ms // 10)
  local next_cs = skynet.now()
  while not state.finished do
    sample()
    next_cs = next_cs + interval_cs
    skynet.sleep(math.max(0, next_cs - skynet.now()))
  end
end

local function enter(index, name, target)
  state.phase_index, state.phase, state.target = index, name, target
  event_phase()
end

local function run()
  init()
  -- A bad script fails here, before the baseline: load it and log a probe player (id 0) in and out.
  local probe, err = start_agent(0)
  if not probe then return fail("ERR_AGENT_SCRIPT", string.format("the agent script %s failed before the ramp: %s", plan.script, err)) end
  skynet.send(probe, "lua", "logout")

  if plan.transport == "gate" then
    gate = skynet.newservice("simload_gate")
    -- backlog: a ramp's clients connect hundreds at a time (skynet's default is 32)
    local _, port = skynet.call(gate, "lua", "open", { address = "127.0.0.1", port = 0, maxclient = plan.max_clients, nodelay = true, backlog = 1024 })
    -- The runner starts the clients when it reads this line; they follow the plan from this wall-clock time,
    -- when the baseline begins here.
    print(string.format("SIMLOAD-GATE %d %d", port, wall_ms()))
    io.stdout:flush()
  end

  skynet.fork(sampler)
  enter(-1, "baseline", 0)
  skynet.sleep(plan.baseline_ms // 10)

  for i, p in ipairs(plan.phases) do
    enter(i - 1, p.kind, p.from)
    local begin = skynet.now()
    phase_clock = { begin = begin, p = p }
    local last = begin
    while true do
      local now = skynet.now()
      local target, over = target_at(now)
      state.target = target
      if not gate then
        steer(state.target)
        send_messages(p.rate, (now - last) / 100)
      end
      last = now
      if first_error then return fail("ERR_AGENT_SCRIPT", first_error) end
      if over then break end
      local left_cs = p.duration_ms // 10 - (now - begin) -- the phase's end, which a gate tick must not pass
      skynet.sleep(gate and math.max(1, math.min(GATE_TICK_CS, left_cs)) or TICK_CS)
    end
  end
  enter(#plan.phases, "done", state.target)
  sample()
  state.finished = true
  print(string.format("SIMLOAD-DONE messages=%d errors=%d logins=%d logouts=%d",
    counters.messages, counters.errors, counters.logins, counters.logouts))
  io.stdout:flush()
  samples_f:close()
  events_f:close()
  skynet.abort()
end

skynet.start(function()
  skynet.dispatch("lua", function(_, _, cmd, ...) CMD[cmd](...) end)
  skynet.fork(function()
    local ok, err = xpcall(run, debug.traceback)
    if not ok then fail("ERR_SKYNET_DRIVER", "driver failed: " .. tostring(err)) end
  end)
end)
