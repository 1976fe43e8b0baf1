-- Sliding log (the core's sliding_log.rs): one entry per admitted request, oldest first.
--
-- Parameters: limit, period_ns, entries (the log's capacity N). Fields: `head` (the sequence
-- number of the oldest entry), `len`, `total` (the cost of the stored entries) and one field
-- `e<seq>` = "<at_ns> <cost>" per entry. Entries that left the window are dropped when a
-- request is logged, as in the core, so `len` may count some that no longer matter.

local N = R.N
local SL = {}

function SL.params(args)
  local p = {limit = args:positive('limit'), period = args:positive('period_ns')}
  p.entries = args:count('entries')
  if p.entries < 1 then
    R.fail('entries must be at least 1')
  end
  return p
end

function SL.capacity(p)
  return p.limit
end

function SL.load(p, key)
  local h = call('HMGET', key, 'head', 'len', 'total')
  local head, len = tonumber(h[1] or '0'), tonumber(h[2] or '0')
  local total = N.parse(h[3] or '0')
  if head == nil or len == nil or total == nil then
    R.fail('key ' .. key .. ' does not hold a sliding log')
  end
  local raw = {}
  if len > 0 then
    local names = {}
    for i = 1, len do
      names[i] = 'e' .. format('%.0f', head + i - 1)
    end
    raw = call('HMGET', key, unpack(names))
  end
  return {head = head, len = len, total = total, raw = raw, parsed = {}}
end

-- The i-th entry, oldest first (0-based), parsed on first use.
local function entry(state, i)
  local e = state.parsed[i]
  if e == nil then
    local s = state.raw[i + 1]
    local at, cost
    if type(s) == 'string' then
      at, cost = s:match('^(%d+) (%d+)$')
    end
    if at == nil then
      R.fail('sliding log entry ' .. i .. ' is malformed')
    end
    e = {at = N.parse(at), cost = N.parse(cost)}
    state.parsed[i] = e
  end
  return e
end

-- True when an entry logged at e.at is inside the window (at - period, at].
local function counts(p, e, at)
  return N.lt(at, N.add(e.at, p.period))
end

function SL.decide(p, state, now, cost)
  if N.lt(p.limit, cost) then
    return nil, R.capacity_error(p.limit)
  end
  local newest = state.len > 0 and entry(state, state.len - 1) or nil
  -- A clock that stepped back before the newest entry counts as its instant.
  local effective = newest and N.max(now, newest.at) or now
  local room = #cost > 0 and 1 or 0
  local function fits(logged, len)
    return N.le(N.add(logged, cost), p.limit) and len + room <= p.entries
  end
  local function remaining(logged, len)
    local by_room = p.entries - len
    if by_room < 0 then
      by_room = 0
    end
    return N.min(N.satsub(p.limit, logged), N.of(by_room))
  end
  local function leaves(e)
    return e and R.wait_until(N.add(e.at, p.period), now) or N.ZERO
  end
  -- The entries that left the window lead the log.
  local gone, gone_cost = 0, N.ZERO
  while gone < state.len and not counts(p, entry(state, gone), effective) do
    gone_cost = N.add(gone_cost, entry(state, gone).cost)
    gone = gone + 1
  end
  local logged = N.satsub(state.total, gone_cost)
  local len = state.len - gone
  local newest_live = (newest and counts(p, newest, effective)) and newest or nil

  if fits(logged, len) then
    if #cost > 0 then
      local pushed = {at = effective, cost = cost}
      local d = R.decision(true, p.limit, remaining(N.add(logged, cost), len + 1), N.ZERO, leaves(pushed))
      return d, {drop = gone, push = pushed, base = state}, true
    end
    return R.decision(true, p.limit, remaining(logged, len), N.ZERO, leaves(newest_live)), state, false
  end
  -- Denied: walk the oldest live entries out of the window until the request fits.
  local left_cost, left_len = logged, len
  local retry_after = N.U64_MAX
  for i = gone, state.len - 1 do
    local e = entry(state, i)
    left_cost = N.satsub(left_cost, e.cost)
    left_len = left_len - 1
    if fits(left_cost, left_len) then
      retry_after = R.wait_until(N.add(e.at, p.period), now)
      break
    end
  end
  return R.decision(false, p.limit, remaining(logged, len), retry_after, leaves(newest_live)), state, false
end

-- Applies an admission: drop the entries that left, append the new one.
function SL.store(p, key, next, now, floor_ms)
  local s = next.base
  local head, len, total = s.head, s.len, s.total
  if next.drop > 0 then
    local names, dropped = {}, N.ZERO
    for i = 0, next.drop - 1 do
      names[#names + 1] = 'e' .. format('%.0f', head + i)
      dropped = N.add(dropped, entry(s, i).cost)
    end
    call('HDEL', key, unpack(names))
    head, len, total = head + next.drop, len - next.drop, N.satsub(total, dropped)
  end
  local e = next.push
  call('HSET', key,
    'e' .. format('%.0f', head + len), N.str(e.at) .. ' ' .. N.str(e.cost),
    'head', format('%.0f', head),
    'len', format('%.0f', len + 1),
    'total', N.str(N.sat64(N.add(total, e.cost))))
  local wait = R.wait_until(N.add(e.at, p.period), now)
  R.expire(key, false, not N.eq(wait, N.U64_MAX) and wait or nil, floor_ms)
end

R.algorithms.sliding_log = SL
