-- GCRA (the core's gcra.rs): one field, `tat`, the theoretical arrival time in ticks.
--
-- Parameters: limit, period_ns, burst. With T = period/limit in ticks and tolerance B*T, a
-- request of cost n at now computes new_tat = max(tat, now) + n*T and is admitted iff
-- new_tat <= now + B*T (and new_tat fits in u64).

local N = R.N
local GCRA = {fields = {'tat'}}

-- The policy from naturals, as `Gcra::new(Quota::from_nanos(limit, period).with_burst(burst))`.
GCRA.policy = R.rate

function GCRA.params(args)
  local limit = args:positive('limit')
  local period = args:positive('period_ns')
  local burst = args:positive('burst')
  return GCRA.policy(limit, period, burst)
end

function GCRA.capacity(p)
  return p.burst
end

function GCRA.load(p, key)
  return R.load(key, GCRA.fields)
end

-- The decision reporting a stored `tat` at `now` (both in ticks).
local function standing(p, allowed, tat, now, retry_after)
  local ahead = N.satsub(tat, now)
  local remaining = N.div(N.satsub(p.tolerance, ahead), p.interval)
  -- Near the end of representable time fewer requests fit than the bucket holds: at most
  -- (u64::MAX - max(tat, now)) / T, which is at least `remaining` while that gap holds the
  -- tolerance.
  local latest = N.max(tat, now)
  if N.lt(N.sub(N.U64_MAX, latest), p.tolerance) then
    remaining = N.min(remaining, N.div(N.sub(N.U64_MAX, latest), p.interval))
  end
  return R.decision(allowed, p.burst, remaining, retry_after, R.ceil_nanos(p.scale, ahead))
end

-- The pure transition on a tat (ticks), for cost <= burst, with now in nanoseconds.
-- Returns the decision and the tat to store.
function GCRA.decide_tat(p, tat, now_ns, cost)
  local now = R.now_ticks(p.scale, now_ns)
  local new_tat = N.add(N.max(tat, now), N.mul(cost, p.interval))
  local latest = N.add(now, p.tolerance)
  local fits = N.fits_u64(new_tat)
  if N.le(new_tat, latest) and fits then
    local stored = #cost == 0 and tat or new_tat
    return standing(p, true, stored, now, N.ZERO), stored
  end
  local retry_after = N.U64_MAX
  if fits then
    retry_after = R.ceil_nanos(p.scale, N.satsub(N.satsub(new_tat, p.tolerance), now))
  end
  return standing(p, false, tat, now, retry_after), tat
end

-- Returns the decision (or nil and an error), the next state and whether it changed.
function GCRA.decide(p, state, now, cost)
  if N.lt(p.burst, cost) then
    return nil, R.capacity_error(p.burst)
  end
  local d, tat = GCRA.decide_tat(p, state.tat, now, cost)
  return d, {tat = tat}, d.allowed and #cost > 0
end

function GCRA.store(p, key, state, now, floor_ms)
  R.save(key, state, GCRA.fields)
  local ahead = N.satsub(state.tat, R.now_ticks(p.scale, now))
  R.expire(key, #ahead == 0, R.ceil_nanos(p.scale, ahead), floor_ms)
end

R.algorithms.gcra = GCRA
