-- A planted regression for the nightly comparison (docs/measurements.md, "Nightly comparison noise"): the
-- shipped rpg.lua, with every player keeping about 30 KB more (180 strings of ~115 bytes, a 160-byte jemalloc
-- class each, and their table) for as long as it is online. compare must name bytes per player.
-- A typical RPG player agent (simload built-in, docs/agents.md): a bag of items with attributes, quests,
-- mail and a friend list, built at login; each game message touches a part of it the way a handler would
-- (move or use an item, advance a quest, read or receive mail, a friend's status), leaving a little garbage
-- for Lua's collector. About 150 KiB of tables and strings per player, plus the VM itself.
-- Contract: login(player_id), message(n), logout(player_id). Plain Lua 5.4, no libraries beyond the sandbox.
-- In a pool agent one VM holds several players: simload passes the player as message's second argument.

local players = {}
local current -- the player of a per-player agent (message(n) without a player_id)
local ATTRS = { "str", "agi", "int", "vit", "crit", "haste", "armor", "resist" }
local RARITY = { "common", "uncommon", "rare", "epic", "legendary" }

local function new_item(id)
  local item = {
    id = id,
    tid = math.random(10000, 99999),
    name = string.format("item_%d_%05d", id, math.random(0, 99999)),
    rarity = RARITY[math.random(#RARITY)],
    count = math.random(1, 20),
    bound = math.random() < 0.3,
    attrs = {},
  }
  for i = 1, math.random(2, 6) do
    item.attrs[ATTRS[math.random(#ATTRS)]] = math.random(1, 500)
  end
  if math.random() < 0.2 then
    item.gems = { math.random(100, 999), math.random(100, 999) }
  end
  return item
end

local function new_mail(id)
  return {
    id = id,
    from = "player_" .. math.random(1, 100000),
    title = string.format("Reward #%d", id),
    body = string.rep("lorem ipsum ", math.random(4, 30)),
    read = false,
    attachments = math.random() < 0.4 and { new_item(100000 + id) } or nil,
  }
end

local function new_quest(id)
  local q = { id = id, state = "active", progress = {}, log = {} }
  for i = 1, math.random(1, 4) do
    q.progress[i] = { goal = math.random(5, 50), done = 0 }
  end
  return q
end

function login(player_id)
  local player = {
    id = player_id,
    name = "player_" .. player_id,
    level = math.random(1, 80),
    gold = math.random(0, 1000000),
    bag = {},
    quests = {},
    mail = {},
    friends = {},
    stats = {},
  }
  for i = 1, 120 do player.bag[i] = new_item(i) end
  for i = 1, 30 do player.quests[i] = new_quest(i) end
  for i = 1, 20 do player.mail[i] = new_mail(i) end
  player.friend_names = {}
  for i = 1, 80 do
    local name = "player_" .. math.random(1, 100000)
    if not player.friends[name] then player.friend_names[#player.friend_names + 1] = name end
    player.friends[name] = { level = math.random(1, 80), online = math.random() < 0.5, note = "" }
  end
  for _, a in ipairs(ATTRS) do player.stats[a] = 0 end
  players[player_id] = player
  current = player
end

function message(n, player_id)
  local player = player_id and players[player_id] or current
  local r = math.random()
  if r < 0.35 then
    -- move or use an item; the stats it gives change (a small diff table, garbage after the call)
    local bag = player.bag
    local i, j = math.random(#bag), math.random(#bag)
    bag[i], bag[j] = bag[j], bag[i]
    local used = bag[i]
    used.count = used.count - 1
    local diff = {}
    if used.count <= 0 then
      for k, v in pairs(used.attrs) do diff[k] = -v end
      used = new_item(1000 + n)
      bag[i] = used
    end
    for k, v in pairs(used.attrs) do diff[k] = (diff[k] or 0) + v end
    for k, v in pairs(diff) do player.stats[k] = (player.stats[k] or 0) + v end
  elseif r < 0.65 then
    -- quest progress, with a log line
    local q = player.quests[math.random(#player.quests)]
    local p = q.progress[math.random(#q.progress)]
    p.done = math.min(p.goal, p.done + 1)
    q.log[#q.log + 1] = string.format("step %d at message %d", p.done, n)
    if #q.log > 8 then table.remove(q.log, 1) end
    if p.done == p.goal then q.state = "done" end
  elseif r < 0.85 then
    -- mail: a new one arrives, the oldest goes, one is read
    local mail = player.mail
    mail[#mail + 1] = new_mail(n)
    if #mail > 20 then table.remove(mail, 1) end
    mail[math.random(#mail)].read = true
  else
    -- a friend comes online or goes offline: the notice a client would get
    local name = player.friend_names[math.random(#player.friend_names)]
    local f = player.friends[name]
    f.online = not f.online
    player.last_notice = { who = name, online = f.online, text = name .. (f.online and " is online" or " left") }
    player.gold = player.gold + 1
  end
end

function logout(player_id)
  if players[player_id] == current then current = nil end
  players[player_id] = nil
end

local base_login = login
function login(player_id)
  base_login(player_id)
  local keep = {}
  for i = 1, 180 do keep[i] = string.format("%s:%04d:", tostring(player_id), i) .. string.rep("k", 100) end
  players[player_id].kept = keep
end
