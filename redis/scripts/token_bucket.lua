-- Token bucket with reservations (the core's token_bucket.rs): fields `full_at` and `latest`
-- (ticks) and `serial` (committed reservations not undone).
--
-- Parameters: limit, period_ns, burst, starts_empty (0 or 1). Operations: check, reserve,
-- cancel.

local N = R.N
local TB = {fields = {'full_at', 'latest', 'serial'}}

function TB.params(args)
  local limit = args:positive('limit')
  local period = args:positive('period_ns')
  local burst = args:positive('burst')
  local p = R.rate(limit, period, burst)
  p.starts_empty = args:flag('starts_empty')
  return p
end

function TB.capacity(p)
  return p.burst
end

function TB.load(p, key)
  return R.load(key, TB.fields)
end

local function is_fresh_state(s)
  return #s.full_at == 0 and #s.latest == 0 and #s.serial == 0
end

local function same(a, b)
  return N.eq(a.full_at, b.full_at) and N.eq(a.latest, b.latest) and N.eq(a.serial, b.serial)
end

-- The arithmetic of every operation, for cost <= burst (the core's plan_in_capacity).
local function plan(p, state, now_ns, cost, max_wait)
  local now = R.now_ticks(p.scale, now_ns)
  local unseen = p.starts_empty and is_fresh_state(state)
  local full_at, latest
  if unseen then
    full_at, latest = N.add(now, p.tolerance), N.ZERO
  else
    full_at, latest = state.full_at, state.latest
  end
  local new_full_at = N.add(N.max(full_at, now), N.mul(cost, p.interval))
  local ready = N.max(N.satsub(new_full_at, p.tolerance), now)
  local fits = N.fits_u64(new_full_at)
  local delay
  if fits and N.fits_u64(ready) then
    delay = R.ceil_nanos(p.scale, N.sub(ready, now))
  else
    ready, delay = N.U64_MAX, N.U64_MAX
  end
  local committed = fits and N.le(delay, max_wait)
  local next = state
  local charged = #cost > 0
  if committed and charged then
    next = {full_at = new_full_at, latest = N.max(latest, ready), serial = N.inc64(state.serial)}
  elseif unseen and charged and N.fits_u64(full_at) then
    next = {full_at = full_at, latest = N.ZERO, serial = state.serial}
  end
  return {
    committed = committed,
    ready = ready,
    delay = delay,
    next = next,
    latest_before = latest,
    full_at = (committed and charged) and new_full_at or full_at
  }
end

-- The decision reporting a plan at now.
local function decision(p, pl, now_ns)
  local now = R.now_ticks(p.scale, now_ns)
  local ahead = N.satsub(pl.full_at, now)
  local remaining = N.div(N.satsub(p.tolerance, ahead), p.interval)
  -- Near the end of representable time each admission must leave a storable state (see
  -- gcra.lua): the bound matters only once the gap to u64::MAX is below the tolerance.
  local gap = N.satsub(N.U64_MAX, N.max(pl.full_at, now))
  if N.lt(gap, p.tolerance) then
    remaining = N.min(remaining, N.div(gap, p.interval))
  end
  local retry_after = pl.committed and N.ZERO or pl.delay
  return R.decision(pl.committed, p.burst, remaining, retry_after, R.ceil_nanos(p.scale, ahead))
end

function TB.decide(p, state, now, cost)
  if N.lt(p.burst, cost) then
    return nil, R.capacity_error(p.burst)
  end
  local pl = plan(p, state, now, cost, N.ZERO)
  return decision(p, pl, now), pl.next, not same(pl.next, state)
end

function TB.store(p, key, state, now, floor_ms)
  R.save(key, state, TB.fields)
  if p.starts_empty then
    -- A charged key of a bucket that starts empty is never fresh (forgetting it would
    -- restart it empty): it persists.
    R.expire(key, is_fresh_state(state), nil, floor_ms)
    return
  end
  local ahead = N.satsub(state.full_at, R.now_ticks(p.scale, now))
  R.expire(key, #ahead == 0, R.ceil_nanos(p.scale, ahead), floor_ms)
end

-- reserve: ARGV after the parameters: cost, max_wait_ns. Reply: committed, ready_at_ns,
-- delay_ns, and what cancel needs back: ready (ticks), serial, latest_before.
R.ops.reserve = function(keys, now, floor_ms, name, args)
  if name ~= 'token_bucket' then
    R.fail('reserve needs a token_bucket, not ' .. tostring(name))
  end
  local p = TB.params(args)
  local cost = args:u64('cost')
  local max_wait = args:u64('max_wait_ns')
  args:done()
  local key = R.one_key(keys)
  if N.lt(p.burst, cost) then
    return R.reply_error(now, R.capacity_error(p.burst))
  end
  local state = TB.load(p, key)
  local pl = plan(p, state, now, cost, max_wait)
  if not same(pl.next, state) then
    TB.store(p, key, pl.next, now, floor_ms)
  end
  return {
    'ok',
    N.str(now),
    R.bool(pl.committed),
    N.str(N.sat64(N.add(now, pl.delay))),
    N.str(pl.delay),
    N.str(pl.ready),
    N.str(pl.next.serial),
    N.str(pl.latest_before)
  }
end

-- cancel: ARGV after the parameters: cost, ready (ticks), ready_at_ns, serial, latest_before,
-- as reserve replied, for a committed reservation not cancelled before. Reply: the whole
-- tokens given back.
R.ops.cancel = function(keys, now, floor_ms, name, args)
  if name ~= 'token_bucket' then
    R.fail('cancel needs a token_bucket, not ' .. tostring(name))
  end
  local p = TB.params(args)
  local cost = args:u64('cost')
  local ready = args:u64('ready')
  local ready_at = args:u64('ready_at_ns')
  local serial = args:u64('serial')
  local latest_before = args:u64('latest_before')
  args:done()
  local key = R.one_key(keys)
  local nothing = {'ok', N.str(now), '0'}
  if #cost == 0 or N.lt(ready_at, now) then
    return nothing
  end
  local s = TB.load(p, key)
  if p.starts_empty and is_fresh_state(s) then
    return nothing
  end
  local t = p.interval
  -- Every reservation this state still holds proceeds at or before `latest`, and the bucket
  -- is full no sooner than cost*T after it: anything else was not made here.
  if N.lt(s.latest, ready) or N.lt(s.full_at, N.add(ready, N.mul(cost, t))) then
    return nothing
  end
  -- Tokens that reservations proceeding after this one may have been promised.
  local claimed = N.div_ceil(N.sub(s.latest, ready), t)
  local back = N.satsub(cost, claimed)
  -- Never above the capacity at now; an empty-starting key stays marked as seen.
  local floor = N.min(s.full_at, R.now_ticks(p.scale, now))
  if p.starts_empty then
    floor = N.max(floor, N.ONE)
  end
  local full_at = N.max(N.satsub(s.full_at, N.mul(back, t)), floor)
  local held, next_serial
  if N.eq(s.serial, serial) then
    held, next_serial = N.min(latest_before, s.latest), N.dec64(s.serial)
  else
    held, next_serial = s.latest, s.serial
  end
  local next = {full_at = full_at, latest = N.min(held, N.satsub(full_at, t)), serial = next_serial}
  if same(next, s) then
    return nothing
  end
  TB.store(p, key, next, now, floor_ms)
  return {'ok', N.str(now), N.str(N.div(N.sub(s.full_at, full_at), t))}
end

R.algorithms.token_bucket = TB
