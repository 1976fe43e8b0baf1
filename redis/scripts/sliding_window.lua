-- Sliding window counter (the core's sliding_window.rs): fields `start` (ns, aligned),
-- `previous` and `current` (costs admitted in the window before and in this one).
--
-- Parameters: limit, period_ns. A request of cost n at e ns into its window is admitted iff
-- previous*(period - e) + (current + n)*period <= limit*period, compared exactly.

local N = R.N
local SW = {fields = {'start', 'previous', 'current'}}

function SW.params(args)
  return {limit = args:positive('limit'), period = args:positive('period_ns')}
end

function SW.capacity(p)
  return p.limit
end

function SW.load(p, key)
  return R.load(key, SW.fields)
end

-- The counts that apply at max(now, stored start), rolled forward by whole windows.
local function standing(p, state, now)
  local effective, previous, current = now, N.ZERO, N.ZERO
  if #state.previous > 0 or #state.current > 0 then
    effective = N.max(now, state.start)
    local steps = N.sub(N.div(effective, p.period), N.div(state.start, p.period))
    if #steps == 0 then
      previous, current = state.previous, state.current
    elseif N.eq(steps, N.ONE) then
      previous = state.current
    end
  end
  local _, elapsed = N.divmod(effective, p.period)
  return {start = N.sub(effective, elapsed), elapsed = elapsed, previous = previous, current = current}
end

-- The first offset e in [from, period) into a window with these counts at which
-- previous*(period - e) + (current + cost)*period <= limit*period; nil when there is none.
local function first_fit(limit, period, previous, current, cost, from)
  local used = N.add(current, cost)
  if N.lt(limit, used) then
    return nil
  end
  local spare = N.sub(limit, used)
  if #previous == 0 then
    return from
  end
  local reach = N.div(N.mul(spare, period), previous)
  local earliest = N.max(N.satsub(period, reach), from)
  if N.lt(earliest, period) then
    return earliest
  end
  return nil
end

-- reset_after: until both counts have left the sliding window.
local function until_fresh(p, start, previous, current, now)
  if #current > 0 then
    return R.wait_until(N.add(start, N.add(p.period, p.period)), now)
  elseif #previous > 0 then
    return R.wait_until(N.add(start, p.period), now)
  end
  return N.ZERO
end

function SW.decide(p, state, now, cost)
  if N.lt(p.limit, cost) then
    return nil, R.capacity_error(p.limit)
  end
  local s = standing(p, state, now)
  local period = p.period
  local fit = first_fit(p.limit, period, s.previous, s.current, cost, s.elapsed)
  local allowed = fit ~= nil and N.eq(fit, s.elapsed)
  local previous, current, stored, changed = s.previous, s.current, state, false
  if allowed and #cost > 0 then
    current = N.add(s.current, cost)
    stored = {start = s.start, previous = s.previous, current = current}
    changed = true
  end
  -- remaining: the largest r with P*(p - e) + (C + r)*p <= L*p.
  local weighted = N.mul(previous, N.sub(period, s.elapsed))
  local budget = N.div(N.satsub(N.mul(p.limit, period), weighted), period)
  local remaining = N.satsub(budget, current)
  local retry_after = N.ZERO
  if not allowed then
    -- Within this window, the next (the current count becomes the previous), or at the start
    -- of the one after, where nothing is counted and any cost fits.
    local at
    if fit ~= nil then
      at = N.add(s.start, fit)
    else
      local next_fit = first_fit(p.limit, period, s.current, N.ZERO, cost, N.ZERO)
      if next_fit ~= nil then
        at = N.add(N.add(s.start, period), next_fit)
      else
        at = N.add(s.start, N.add(period, period))
      end
    end
    retry_after = R.wait_until(at, now)
  end
  local reset_after = until_fresh(p, s.start, previous, current, now)
  return R.decision(allowed, p.limit, remaining, retry_after, reset_after), stored, changed
end

function SW.store(p, key, state, now, floor_ms)
  R.save(key, state, SW.fields)
  local s = standing(p, state, now)
  local wait = until_fresh(p, s.start, s.previous, s.current, now)
  local fresh = #s.previous == 0 and #s.current == 0
  R.expire(key, fresh, not N.eq(wait, N.U64_MAX) and wait or nil, floor_ms)
end

R.algorithms.sliding_window = SW
