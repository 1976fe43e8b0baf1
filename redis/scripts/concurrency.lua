-- Concurrency leases (the core's concurrency.rs): field `serial` (the last serial issued) and
-- one field `s<slot>` = "<serial> <expires_at_ns>" per slot in use.
--
-- Parameters: limit, ttl_ns. Operations: acquire, release, renew, and check (cost anonymous
-- leases that simply expire). A lease is live on [granted, granted + ttl) and names its slot
-- and serial; a slot only answers to the serial it was granted with. Slots are taken lowest
-- index first, so with a constant limit every slot index is below the limit, as in the core.

local N = R.N
local CO = {}

-- One hash field per lease: the limit is capped so that a call never walks an unbounded hash.
local MAX_LIMIT = 65536

function CO.params(args)
  local p = {limit = args:positive('limit'), ttl = args:positive('ttl_ns')}
  if N.lt(N.of(MAX_LIMIT), p.limit) then
    R.fail('a concurrency limit must be at most 65536 leases')
  end
  return p
end

function CO.capacity(p)
  return p.limit
end

function CO.load(p, key)
  local flat = call('HGETALL', key)
  local state = {serial = N.ZERO, slots = {}, dirty = {}}
  for i = 1, #flat, 2 do
    local name, value = flat[i], flat[i + 1]
    if name == 'serial' then
      state.serial = N.parse(value)
    else
      local index = tonumber(name:match('^s(%d+)$') or '')
      local serial, expires = value:match('^(%d+) (%d+)$')
      if index == nil or serial == nil then
        R.fail('key ' .. key .. ' does not hold concurrency leases')
      end
      state.slots[index] = {serial = N.parse(serial), expires = N.parse(expires)}
    end
  end
  if state.serial == nil then
    R.fail('key ' .. key .. ' does not hold concurrency leases')
  end
  return state
end

local function is_live(slot, now)
  return slot ~= nil and #slot.serial > 0 and N.lt(now, slot.expires)
end

-- How many leases are live, and when the first and the last of them expire.
local function census(state, now)
  local live, earliest, latest = 0, N.U64_MAX, N.ZERO
  for _, slot in pairs(state.slots) do
    if is_live(slot, now) then
      live = live + 1
      earliest = N.min(earliest, slot.expires)
      latest = N.max(latest, slot.expires)
    end
  end
  return {live = live, earliest = earliest, latest = latest}
end

-- The k-th earliest expiry among live leases.
local function kth_expiry(state, now, k)
  local expiries = {}
  for _, slot in pairs(state.slots) do
    if is_live(slot, now) then
      expiries[#expiries + 1] = slot.expires
    end
  end
  table.sort(expiries, N.lt)
  return expiries[k]
end

local function standing(p, allowed, c, now, retry_after)
  return R.decision(allowed, p.limit, N.satsub(p.limit, N.of(c.live)), retry_after, N.satsub(c.latest, now))
end

-- Grants `cost` leases (returning the last one) or refuses. Marks the slots it writes.
local function admit(p, state, now, cost)
  local c = census(state, now)
  local n = N.small(cost) or 0
  if #cost == 0 then
    return standing(p, true, c, now, N.ZERO), nil
  end
  local limit = p.limit
  local wanted = N.add(N.of(c.live), cost)
  if N.lt(limit, wanted) then
    -- cost <= limit, so need <= live: that many live leases must end first.
    local need = N.small(N.sub(wanted, limit))
    local at = need == 1 and c.earliest or kth_expiry(state, now, need)
    local retry_after = at and N.satsub(at, now) or N.U64_MAX
    return standing(p, false, c, now, retry_after), nil
  end
  -- Serials first .. last, strictly above every serial issued before.
  local first = N.max(N.sat64(N.add(state.serial, N.ONE)), now)
  local last = N.add(first, N.sub(cost, N.ONE))
  if not N.fits_u64(last) or N.eq(state.serial, N.U64_MAX) then
    -- The serials are exhausted (only at the very end of time): nothing is granted.
    return standing(p, false, c, now, N.U64_MAX), nil
  end
  local expires = N.sat64(N.add(now, p.ttl))
  local issued, index, granted = 0, 0, nil
  while issued < n do
    if not is_live(state.slots[index], now) then
      local serial = N.add(first, N.of(issued))
      state.slots[index] = {serial = serial, expires = expires}
      state.dirty[index] = true
      granted = {slot = index, serial = serial}
      issued = issued + 1
    end
    index = index + 1
  end
  state.serial = last
  local after = {live = c.live + issued, earliest = N.min(c.earliest, expires), latest = N.max(c.latest, expires)}
  return standing(p, true, after, now, N.ZERO), granted
end

-- Writes the marked slots and the serial, then the key's expiry: it is fresh once no lease is
-- live and the clock has passed the last serial.
local function save(p, key, state, now, floor_ms)
  local set, del = {'serial', N.str(state.serial)}, {}
  for index in pairs(state.dirty) do
    local slot = state.slots[index]
    local name = 's' .. format('%.0f', index)
    if slot then
      set[#set + 1] = name
      set[#set + 1] = N.str(slot.serial) .. ' ' .. N.str(slot.expires)
    else
      del[#del + 1] = name
    end
  end
  if #del > 0 then
    call('HDEL', key, unpack(del))
  end
  call('HSET', key, unpack(set))
  local c = census(state, now)
  local serial_passed = #state.serial == 0 or N.lt(state.serial, now)
  local wait = N.satsub(c.latest, now)
  if #state.serial > 0 then
    wait = N.max(wait, N.satsub(N.add(state.serial, N.ONE), now))
  end
  R.expire(key, c.live == 0 and serial_passed, wait, floor_ms)
end

function CO.decide(p, state, now, cost)
  if N.lt(p.limit, cost) then
    return nil, R.capacity_error(p.limit)
  end
  local d = admit(p, state, now, cost)
  return d, state, d.allowed and #cost > 0
end

CO.store = save

local function only_concurrency(name, op)
  if name ~= 'concurrency' then
    R.fail(op .. ' needs concurrency, not ' .. tostring(name))
  end
end

-- acquire: one lease. Reply: the decision, then granted (0 or 1), slot (-1 when refused) and
-- serial.
R.ops.acquire = function(keys, now, floor_ms, name, args)
  only_concurrency(name, 'acquire')
  local p = CO.params(args)
  args:done()
  local key = R.one_key(keys)
  local state = CO.load(p, key)
  local d, lease = admit(p, state, now, N.ONE)
  if lease == nil then
    return R.reply_decision(now, d, {0, -1, '0'})
  end
  save(p, key, state, now, floor_ms)
  return R.reply_decision(now, d, {1, lease.slot, N.str(lease.serial)})
end

-- The slot a lease names, if it still holds that lease (live or expired).
local function slot_of(state, slot, serial)
  local s = state.slots[slot]
  if s ~= nil and #s.serial > 0 and N.eq(s.serial, serial) then
    return s
  end
  return nil
end

-- release / renew: ARGV after the parameters: slot, serial. Reply: done (0 or 1).
local function lease_op(renew)
  return function(keys, now, floor_ms, name, args)
    only_concurrency(name, renew and 'renew' or 'release')
    local p = CO.params(args)
    local slot = args:count('slot')
    local serial = args:u64('serial')
    args:done()
    local key = R.one_key(keys)
    local state = CO.load(p, key)
    local s = slot_of(state, slot, serial)
    local done = false
    if s ~= nil then
      if renew then
        if is_live(s, now) then
          s.expires = N.sat64(N.add(now, p.ttl))
          state.dirty[slot] = true
          done = true
        end
      else
        done = is_live(s, now)
        state.slots[slot] = nil
        state.dirty[slot] = true
      end
    end
    if next(state.dirty) ~= nil then
      save(p, key, state, now, floor_ms)
    end
    return {'ok', N.str(now), R.bool(done)}
  end
end

R.ops.release = lease_op(false)
R.ops.renew = lease_op(true)

R.algorithms.concurrency = CO
