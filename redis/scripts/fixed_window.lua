-- Fixed window (the core's fixed_window.rs): fields `start` (ns, aligned) and `count`.
--
-- Parameters: limit, period_ns. Windows [k*period, (k+1)*period) are counted from instant 0
-- of the time base (the epoch, for server time); capacity is `limit`.

local N = R.N
local FW = {fields = {'start', 'count'}}

function FW.params(args)
  return {limit = args:positive('limit'), period = args:positive('period_ns')}
end

function FW.capacity(p)
  return p.limit
end

function FW.load(p, key)
  return R.load(key, FW.fields)
end

-- The start of the window the decision is made in and the count in it.
local function standing(p, state, now)
  if #state.count == 0 then
    local _, r = N.divmod(now, p.period)
    return N.sub(now, r), N.ZERO
  end
  local effective = N.max(now, state.start)
  local k, r = N.divmod(effective, p.period)
  local count = N.ZERO
  if N.eq(k, N.div(state.start, p.period)) then
    count = state.count
  end
  return N.sub(effective, r), count
end

function FW.decide(p, state, now, cost)
  if N.lt(p.limit, cost) then
    return nil, R.capacity_error(p.limit)
  end
  local start, count = standing(p, state, now)
  local until_end = R.wait_until(N.add(start, p.period), now)
  local after = N.add(count, cost)
  if N.le(after, p.limit) then
    local reset_after = #after == 0 and N.ZERO or until_end
    local d = R.decision(true, p.limit, N.sub(p.limit, after), N.ZERO, reset_after)
    if #cost == 0 then
      return d, state, false
    end
    return d, {start = start, count = after}, true
  end
  return R.decision(false, p.limit, N.satsub(p.limit, count), until_end, until_end), state, false
end

function FW.store(p, key, state, now, floor_ms)
  R.save(key, state, FW.fields)
  local start, count = standing(p, state, now)
  local until_end = R.wait_until(N.add(start, p.period), now)
  R.expire(key, #count == 0, not N.eq(until_end, N.U64_MAX) and until_end or nil, floor_ms)
end

R.algorithms.fixed_window = FW
