-- Burst tiers (the core's burst.rs): two GCRA buckets, fields `sustained` and `peak` (their
-- tats in ticks). Needs gcra.lua.
--
-- Parameters: limit, period_ns, burst, burst_window_ns. The sustained bucket refills at
-- limit/period and holds limit; the peak bucket refills at burst/period and holds
-- floor(burst * burst_window / period). Both admit and record, or neither changes.

local N = R.N
local GCRA = R.algorithm('gcra')
local BU = {fields = {'sustained', 'peak'}}

function BU.params(args)
  local limit = args:positive('limit')
  local period = args:positive('period_ns')
  local burst = args:u64('burst')
  local window = args:u64('burst_window_ns')
  if #burst == 0 then
    R.fail('burst must be at least 1')
  end
  local hold = N.div(N.mul(burst, window), period)
  if #hold == 0 then
    R.fail('burst window is too short: it must hold at least one request at the burst rate (period / burst)')
  end
  if not N.fits_u64(hold) then
    R.fail('burst is too large: refilling it (burst * period / limit) would take longer than 584 years')
  end
  local p = {sustained = R.rate(limit, period, limit), peak = R.rate(burst, period, hold)}
  p.capacity = N.min(limit, hold)
  return p
end

function BU.capacity(p)
  return p.capacity
end

function BU.load(p, key)
  return R.load(key, BU.fields)
end

local function combine(p, allowed, s, k)
  return R.decision(allowed, p.capacity, N.min(s.remaining, k.remaining),
    N.max(s.retry_after, k.retry_after), N.max(s.reset_after, k.reset_after))
end

function BU.decide(p, state, now, cost)
  if N.lt(p.capacity, cost) then
    return nil, R.capacity_error(p.capacity)
  end
  local s, s_next = GCRA.decide_tat(p.sustained, state.sustained, now, cost)
  local k, k_next = GCRA.decide_tat(p.peak, state.peak, now, cost)
  if s.allowed and k.allowed then
    return combine(p, true, s, k), {sustained = s_next, peak = k_next}, #cost > 0
  end
  -- Denied: nothing is recorded, so a bucket that would have admitted reports its standing.
  if s.allowed then
    s = GCRA.decide_tat(p.sustained, state.sustained, now, N.ZERO)
  end
  if k.allowed then
    k = GCRA.decide_tat(p.peak, state.peak, now, N.ZERO)
  end
  return combine(p, false, s, k), state, false
end

function BU.store(p, key, state, now, floor_ms)
  R.save(key, state, BU.fields)
  local s_ahead = N.satsub(state.sustained, R.now_ticks(p.sustained.scale, now))
  local k_ahead = N.satsub(state.peak, R.now_ticks(p.peak.scale, now))
  local wait = N.max(R.ceil_nanos(p.sustained.scale, s_ahead), R.ceil_nanos(p.peak.scale, k_ahead))
  R.expire(key, #s_ahead == 0 and #k_ahead == 0, wait, floor_ms)
end

R.algorithms.burst = BU
