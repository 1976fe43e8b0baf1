-- Credits (the core's credits.rs): a budget that never replenishes; fields `used` and `added`.
--
-- Parameters: budget. Operations: check, top_up. Running out is a denial with retry_after and
-- reset_after u64::MAX ("never"). A key that spent or received anything persists.

local N = R.N
local CR = {fields = {'used', 'added'}}

function CR.params(args)
  return {budget = args:u64('budget')}
end

function CR.capacity()
  return N.U64_MAX
end

function CR.load(p, key)
  return R.load(key, CR.fields)
end

local function granted(p, s)
  return N.sat64(N.add(p.budget, s.added))
end

local function fresh(s)
  return #s.used == 0 and #s.added == 0
end

function CR.decide(p, state, now, cost)
  local limit = granted(p, state)
  local left = N.satsub(limit, state.used)
  if N.lt(left, cost) then
    return R.decision(false, limit, left, N.U64_MAX, N.U64_MAX), state, false
  end
  local next = {used = N.sat64(N.add(state.used, cost)), added = state.added}
  local reset_after = fresh(next) and N.ZERO or N.U64_MAX
  return R.decision(true, limit, N.sub(left, cost), N.ZERO, reset_after), next, #cost > 0
end

function CR.store(p, key, state, now, floor_ms)
  R.save(key, state, CR.fields)
  R.expire(key, fresh(state), nil, floor_ms)
end

-- top_up: ARGV after the budget: amount. Reply: the credits left, or credits_overflow with the
-- most that can still be added.
R.ops.top_up = function(keys, now, floor_ms, name, args)
  if name ~= 'credits' then
    R.fail('top_up needs credits, not ' .. tostring(name))
  end
  local p = CR.params(args)
  local amount = args:u64('amount')
  args:done()
  local key = R.one_key(keys)
  local s = CR.load(p, key)
  local headroom = N.satsub(N.U64_MAX, granted(p, s))
  if N.lt(headroom, amount) then
    return {'credits_overflow', N.str(now), N.str(headroom)}
  end
  local next = {used = s.used, added = N.sat64(N.add(s.added, amount))}
  if #amount > 0 then
    CR.store(p, key, next, now, floor_ms)
  end
  return {'ok', N.str(now), N.str(N.satsub(granted(p, next), next.used))}
end

R.algorithms.credits = CR
