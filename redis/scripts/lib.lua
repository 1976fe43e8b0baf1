-- ratecell for Redis: the prelude of every script (see redis/README.md).
--
-- It holds what every algorithm needs: exact natural-number arithmetic (Redis runs Lua 5.1,
-- whose numbers are IEEE doubles, exact only up to 2^53), the quota's tick arithmetic, the
-- clock, argument parsing, replies and key expiry. Algorithm files register themselves in
-- `R.algorithms`, operations in `R.ops`; `main.lua` dispatches. Nothing here touches a key.

-- The namespace every file shares, built at the end of this file (see `exports`).
local R

local floor = math.floor
local format = string.format
local call = redis.call

------------------------------------------------------------------------ exact naturals
-- A natural number is an array of 24-bit limbs, least significant first, with no zero limb at
-- the top: zero is {}. Limbs of 24 bits keep every intermediate below 2^53: a limb product is
-- below 2^48, a short division step below 2^53. Operations never modify their arguments.

local BASE = 16777216 -- 2^24
local EXACT = 9007199254740992 -- 2^53: doubles below it are exact integers
-- Short division works for divisors up to 2^29: remainder * BASE + limb stays below 2^53.
local SHORT = 536870912

local ZERO = {}
local ONE = {1}
local U64_MAX = {16777215, 16777215, 65535} -- 2^64 - 1
local MS = 1000000 -- nanoseconds per millisecond

local function trim(a)
  local n = #a
  while n > 0 and a[n] == 0 do
    a[n] = nil
    n = n - 1
  end
  return a
end

-- An integer-valued double (any size) as a natural: divisions by 2^24 are exact.
local function of(x)
  local r, i = {}, 0
  while x > 0 do
    i = i + 1
    local q = floor(x / BASE)
    r[i] = x - q * BASE
    x = q
  end
  return r
end

-- The nearest double (exact below 2^53; within 7 parts in 2^53 above).
local function approx(a)
  local x = 0
  for i = #a, 1, -1 do
    x = x * BASE + a[i]
  end
  return x
end

-- The value as a double when it is exact (below 2^53), otherwise nil.
local function small(a)
  if #a > 3 then
    return nil
  end
  local x = approx(a)
  if x < EXACT then
    return x
  end
  return nil
end

local function is_zero(a)
  return #a == 0
end

local function cmp(a, b)
  local na, nb = #a, #b
  if na ~= nb then
    return na < nb and -1 or 1
  end
  for i = na, 1, -1 do
    local x, y = a[i], b[i]
    if x ~= y then
      return x < y and -1 or 1
    end
  end
  return 0
end

local function eq(a, b)
  return cmp(a, b) == 0
end

local function lt(a, b)
  return cmp(a, b) < 0
end

local function le(a, b)
  return cmp(a, b) <= 0
end

local function max(a, b)
  return cmp(a, b) >= 0 and a or b
end

local function min(a, b)
  return cmp(a, b) <= 0 and a or b
end

local function add(a, b)
  local na, nb = #a, #b
  local n = na > nb and na or nb
  local r, carry = {}, 0
  for i = 1, n do
    local t = (a[i] or 0) + (b[i] or 0) + carry
    if t >= BASE then
      r[i] = t - BASE
      carry = 1
    else
      r[i] = t
      carry = 0
    end
  end
  if carry > 0 then
    r[n + 1] = carry
  end
  return r
end

-- a - b for a >= b (callers compare first; see N.satsub).
local function sub(a, b)
  local r, borrow = {}, 0
  for i = 1, #a do
    local t = a[i] - (b[i] or 0) - borrow
    if t < 0 then
      r[i] = t + BASE
      borrow = 1
    else
      r[i] = t
      borrow = 0
    end
  end
  if borrow ~= 0 then
    error('ratecell: natural subtraction went below zero')
  end
  return trim(r)
end

-- max(a - b, 0)
local function satsub(a, b)
  if cmp(a, b) <= 0 then
    return {}
  end
  return sub(a, b)
end

local function mul(a, b)
  local na, nb = #a, #b
  if na == 0 or nb == 0 then
    return {}
  end
  local r = {}
  for i = 1, na + nb do
    r[i] = 0
  end
  for i = 1, na do
    local x = a[i]
    if x ~= 0 then
      local carry = 0
      for j = 1, nb do
        local k = i + j - 1
        -- Below 2^24 + 2^48 + 2^25: exact.
        local t = r[k] + x * b[j] + carry
        carry = floor(t / BASE)
        r[k] = t - carry * BASE
      end
      local k = i + nb
      while carry > 0 do
        local t = r[k] + carry
        carry = floor(t / BASE)
        r[k] = t - carry * BASE
        k = k + 1
      end
    end
  end
  return trim(r)
end

-- a * m for an integer 0 <= m < 2^29.
local function mul_small(a, m)
  if m == 0 then
    return {}
  end
  local r, carry = {}, 0
  local n = #a
  for i = 1, n do
    local t = a[i] * m + carry
    carry = floor(t / BASE)
    r[i] = t - carry * BASE
  end
  local i = n
  while carry > 0 do
    i = i + 1
    local q = floor(carry / BASE)
    r[i] = carry - q * BASE
    carry = q
  end
  return r
end

-- (a / d, a % d) for an integer 0 < d <= 2^29; the remainder is a double.
local function divmod_small(a, d)
  local q, r = {}, 0
  for i = #a, 1, -1 do
    local t = r * BASE + a[i]
    local qi = floor(t / d)
    local rem = t - qi * d
    -- fl(t / d) may round up to the next integer; every term here is exact.
    if rem < 0 then
      qi = qi - 1
      rem = rem + d
    elseif rem >= d then
      qi = qi + 1
      rem = rem - d
    end
    q[i] = qi
    r = rem
  end
  return trim(q), r
end

-- (a / d, a % d) for d > 0.
--
-- Each round estimates the quotient of the remainder in floating point, scaled down by
-- (1 - 2^-40) so that the estimate never exceeds the true quotient (the rounding errors of
-- N.approx and the division are below 2^-49 in all), subtracts estimate * d exactly, and
-- repeats while the remainder is at least d. Each round shrinks the remainder by a factor of
-- about 2^39, so a 128-bit dividend takes at most four rounds plus a final step or two.
local function divmod(a, d)
  local nd = #d
  if nd == 0 then
    error('ratecell: division by zero')
  end
  if cmp(a, d) < 0 then
    return {}, a
  end
  local dv = approx(d)
  local av = #a <= 3 and approx(a)
  if av and av < EXACT then
    -- Both exact doubles: q * d <= a < 2^53 keeps the correction exact.
    local q = floor(av / dv)
    local r = av - q * dv
    if r < 0 then
      q, r = q - 1, r + dv
    elseif r >= dv then
      q, r = q + 1, r - dv
    end
    return of(q), of(r)
  end
  if dv <= SHORT then
    local q, r = divmod_small(a, dv)
    return q, of(r)
  end
  local q, r = {}, a
  while cmp(r, d) >= 0 do
    local est = floor(approx(r) / dv * 0.9999999999990905) -- 1 - 2^-40
    if est < 1 then
      est = 1
    end
    local e = of(est)
    r = sub(r, mul(e, d))
    q = add(q, e)
  end
  return q, r
end

local function div(a, d)
  local q = divmod(a, d)
  return q
end

-- ceil(a / d) for d > 0.
local function div_ceil(a, d)
  local q, r = divmod(a, d)
  if #r > 0 then
    return add(q, {1})
  end
  return q
end

local POW10 = {10, 100, 1000, 10000, 100000, 1000000, 10000000}

-- A natural from its decimal digits (at most 40), or nil when `s` is not one.
local function parse(s)
  if type(s) ~= 'string' then
    return nil
  end
  local n = #s
  if n == 0 or n > 40 or s:find('%D') then
    return nil
  end
  if n <= 15 then
    return of(tonumber(s))
  end
  -- 15 digits are an exact double; each further group of up to 7 digits is a short
  -- multiplication (10^7 < 2^29) and an addition.
  local r = of(tonumber(s:sub(1, 15)))
  local i = 16
  while i <= n do
    local chunk = s:sub(i, i + 6)
    r = add(mul_small(r, POW10[#chunk]), of(tonumber(chunk)))
    i = i + 7
  end
  return r
end

-- The decimal digits of a natural.
local function str(a)
  local x = approx(a)
  if x < EXACT then
    return format('%.0f', x)
  end
  -- Peel off 7 digits at a time until the rest is an exact double (once for a u64).
  local low = {}
  local rest = a
  repeat
    local r
    rest, r = divmod_small(rest, 10000000)
    low[#low + 1] = format('%07.0f', r)
    x = approx(rest)
  until x < EXACT
  local out = {format('%.0f', x)}
  for i = #low, 1, -1 do
    out[#out + 1] = low[i]
  end
  return table.concat(out)
end


local function fits_u64(a)
  return cmp(a, U64_MAX) <= 0
end

-- min(a, u64::MAX)
local function sat64(a)
  if cmp(a, U64_MAX) > 0 then
    return U64_MAX
  end
  return a
end

-- wrapping a + 1 and a - 1 in u64, as Rust's wrapping_add(1) / wrapping_sub(1)
local function inc64(a)
  if eq(a, U64_MAX) then
    return {}
  end
  return add(a, ONE)
end

local function dec64(a)
  if #a == 0 then
    return U64_MAX
  end
  return sub(a, ONE)
end

------------------------------------------------------------------------ errors and arguments

-- A malformed call is a programming error: an error reply, never a decision.
local function fail(msg)
  error({err = 'ERR ratecell: ' .. msg})
end

-- The arguments after the header, read in order: an object with the methods below.
local Args

local function args(argv, from)
  return setmetatable({v = argv, i = from}, Args)
end

local function arg_raw(self, what)
  local s = self.v[self.i]
  if s == nil then
    fail('missing argument ' .. self.i .. ' (' .. what .. ')')
  end
  self.i = self.i + 1
  return s
end

-- A u64 argument as a natural.
local function arg_u64(self, what)
  local s = arg_raw(self, what)
  local a = parse(s)
  if a == nil or not fits_u64(a) then
    fail(what .. ' must be a decimal integer below 2^64, got ' .. s)
  end
  return a
end

-- A u64 argument that must not be zero.
local function arg_positive(self, what)
  local a = arg_u64(self, what)
  if #a == 0 then
    fail(what .. ' must be at least 1')
  end
  return a
end

-- A small count argument (below 2^53) as a double.
local function arg_count(self, what)
  local s = arg_raw(self, what)
  local a = parse(s)
  local x = a and small(a)
  if x == nil then
    fail(what .. ' must be a decimal integer below 2^53, got ' .. s)
  end
  return x
end

local function arg_flag(self, what)
  local s = arg_raw(self, what)
  if s == '1' then
    return true
  elseif s == '0' then
    return false
  end
  fail(what .. ' must be 0 or 1, got ' .. s)
end

local function arg_done(self)
  if self.v[self.i] ~= nil then
    fail('unexpected argument ' .. self.i .. ': ' .. self.v[self.i])
  end
end

-- Tables are built by constructors, sized once: growing them field by field costs more than
-- all the arithmetic of a decision (the chunk runs on every call).
Args = {
  raw = arg_raw,
  u64 = arg_u64,
  positive = arg_positive,
  count = arg_count,
  flag = arg_flag,
  done = arg_done
}
Args.__index = Args

------------------------------------------------------------------------ quotas in ticks

local MAX_SCALE = 64

-- gcd(a, b) of naturals; Euclid in doubles while both are exact.
local function gcd(a, b)
  while #b > 0 do
    local x, y = small(a), small(b)
    if x and y then
      while y > 0 do
        x, y = y, x % y
      end
      return of(x)
    end
    local _, r = divmod(a, b)
    a, b = b, r
  end
  return a
end

-- The emission interval period/limit as (scale, interval): one tick is 1/scale ns and the
-- interval is a whole number of ticks; `scale` is a double (at most 64). The same numbers as
-- the core's `Quota::ticks`: exact when limit/gcd(period, limit) <= 64, otherwise ticks of
-- 1/64 ns and the interval rounded up.
local function ticks(limit, period)
  local g = gcd(period, limit)
  local scale = div(limit, g)
  local s = small(scale)
  if s and s <= MAX_SCALE then
    return s, div(period, g)
  end
  return MAX_SCALE, div_ceil(mul_small(period, MAX_SCALE), limit)
end

-- The rate of a quota (limit per period_ns, capacity burst) in ticks, as the core's `Gcra::new`
-- and `TokenBucket::new` compile it: scale, interval T, tolerance B*T (which must fit in u64).
local function rate(limit, period, burst)
  local scale, interval = ticks(limit, period)
  local tolerance = mul(interval, burst)
  if not fits_u64(tolerance) then
    fail('burst is too large: refilling it (burst * period / limit) would take longer than 584 years')
  end
  return {burst = burst, scale = scale, interval = interval, tolerance = tolerance}
end

-- now in ticks, standing still at u64::MAX (the horizon).
local function now_ticks(scale, now)
  if scale == 1 then
    return now
  end
  return sat64(mul_small(now, scale))
end

-- Ticks to nanoseconds, rounded up, saturating at u64::MAX.
local function ceil_nanos(scale, ticks)
  if scale == 1 then
    return sat64(ticks)
  end
  local q, r = divmod_small(ticks, scale)
  if r > 0 then
    q = add(q, ONE)
  end
  return sat64(q)
end

-- `at - now` as a duration, u64::MAX ("never") when `at` is beyond u64 (the core's wait_until).
local function wait_until(at, now)
  if not fits_u64(at) then
    return U64_MAX
  end
  return satsub(at, now)
end

------------------------------------------------------------------------ decisions

-- A decision: allowed (boolean), limit, remaining, retry_after, reset_after (naturals).
local function decision(allowed, limit, remaining, retry_after, reset_after)
  return {
    allowed = allowed,
    limit = limit,
    remaining = remaining,
    retry_after = retry_after,
    reset_after = reset_after
  }
end

-- A domain error (not a malformed call): a reply whose status names it.
local function capacity_error(capacity)
  return {status = 'insufficient_capacity', value = capacity}
end

------------------------------------------------------------------------ keys

-- Reads hash fields as naturals (absent fields are zero).
local function load_fields(key, fields)
  local raw = call('HMGET', key, unpack(fields))
  local out = {}
  for i, name in ipairs(fields) do
    local s = raw[i]
    if s then
      local a = parse(s)
      if a == nil then
        fail('key ' .. key .. ' field ' .. name .. ' holds ' .. tostring(s) .. ', not a natural')
      end
      out[name] = a
    else
      out[name] = ZERO
    end
  end
  return out
end

-- Writes naturals into hash fields.
local function save_fields(key, state, fields)
  local argv = {}
  for _, name in ipairs(fields) do
    argv[#argv + 1] = name
    argv[#argv + 1] = str(state[name])
  end
  call('HSET', key, unpack(argv))
end

-- After a write: a key whose state is fresh is deleted (fresh and absent decide the same); any
-- other key expires when it will be fresh, `until_fresh` nanoseconds from now rounded up to
-- whole milliseconds, plus one, and at least `floor_ms`; nil means never (the key persists).
-- The extra millisecond: Redis counts a key's life from the start of the millisecond of the
-- write, so a life of exactly the rounded-up time could end up to a millisecond before the
-- state is fresh, and a request in that millisecond would find the key gone.
local function expire(key, fresh, until_fresh, floor_ms)
  if fresh then
    call('DEL', key)
    return
  end
  if until_fresh == nil then
    call('PERSIST', key)
    return
  end
  local ms = add(div_ceil(until_fresh, of(MS)), ONE)
  local f = of(floor_ms)
  if lt(ms, f) then
    ms = f
  end
  call('PEXPIRE', key, str(ms))
end

------------------------------------------------------------------------ the clock

local DEFAULT_EPOCH = 1704067200 -- 2024-01-01T00:00:00Z

-- The instant of the call in nanoseconds: the caller's when given, otherwise the server's
-- clock counted from `epoch` (Unix seconds; instants before it count as the epoch).
local function clock_now(given, epoch)
  if given ~= '' then
    local a = parse(given)
    if a == nil or not fits_u64(a) then
      fail('now must be empty (server time) or nanoseconds below 2^64, got ' .. given)
    end
    return a
  end
  local e = DEFAULT_EPOCH
  if epoch ~= '' then
    local a = parse(epoch)
    e = a and small(a)
    if e == nil then
      fail('epoch must be Unix seconds, got ' .. epoch)
    end
  end
  local t = call('TIME')
  local secs = tonumber(t[1]) - e
  if secs < 0 then
    return ZERO
  end
  return add(mul_small(of(secs * 1000), 1000000), of(tonumber(t[2]) * 1000))
end

------------------------------------------------------------------------ replies

local function bool(b)
  return b and 1 or 0
end

local function reply_decision(now, d, extra)
  local out = {
    'ok',
    str(now),
    bool(d.allowed),
    str(d.limit),
    str(d.remaining),
    str(d.retry_after),
    str(d.reset_after)
  }
  if extra then
    for _, v in ipairs(extra) do
      out[#out + 1] = v
    end
  end
  return out
end

local function reply_error(now, e, extra)
  local out = {e.status, str(now), str(e.value)}
  if extra then
    for _, v in ipairs(extra) do
      out[#out + 1] = v
    end
  end
  return out
end

------------------------------------------------------------------------ dispatch

-- The algorithm named by a call, which must be part of this script.
local function algorithm(name)
  local m = R.algorithms[name]
  if m == nil then
    fail('this script has no algorithm ' .. tostring(name))
  end
  return m
end

local function one_key(keys)
  if #keys ~= 1 then
    fail('expected exactly one key, got ' .. #keys)
  end
  return keys[1]
end

-- check: decide a request of `cost` (0 peeks) and record it when admitted.
local function op_check(keys, now, floor_ms, name, args)
  if name == 'all_of' then
    if R.all_of == nil then
      fail('this script has no all_of')
    end
    return R.all_of(keys, now, floor_ms, args)
  end
  local m = algorithm(name)
  local p = m.params(args)
  local cost = args:u64('cost')
  args:done()
  local key = one_key(keys)
  local d, next, changed = m.decide(p, m.load(p, key), now, cost)
  if d == nil then
    return reply_error(now, next)
  end
  if changed then
    m.store(p, key, next, now, floor_ms)
  end
  return reply_decision(now, d)
end

-- reset: every key back to fresh.
local function op_reset(keys, now)
  if #keys > 0 then
    call('DEL', unpack(keys))
  end
  return {'ok', str(now)}
end

-- ARGV: op, now ('' = server time), epoch ('' = 2024-01-01), floor_ms, algorithm, arguments.
local function main(keys, argv)
  if redis.replicate_commands then
    -- Redis before 5 replicates scripts verbatim unless told otherwise; TIME needs effects.
    pcall(redis.replicate_commands)
  end
  local op = argv[1]
  local handler = op and R.ops[op]
  if handler == nil then
    fail('unknown operation ' .. tostring(op))
  end
  local now = clock_now(argv[2] or '', argv[3] or '')
  local floor_ms = 0
  if argv[4] and argv[4] ~= '' then
    local a = parse(argv[4])
    floor_ms = a and small(a)
    if floor_ms == nil then
      fail('floor_ms must be milliseconds below 2^53, got ' .. argv[4])
    end
  end
  return handler(keys, now, floor_ms, argv[5], args(argv, 6))
end

------------------------------------------------------------------------ exports

local N = {
  of = of,
  approx = approx,
  small = small,
  is_zero = is_zero,
  cmp = cmp,
  eq = eq,
  lt = lt,
  le = le,
  max = max,
  min = min,
  add = add,
  sub = sub,
  satsub = satsub,
  mul = mul,
  mul_small = mul_small,
  divmod_small = divmod_small,
  divmod = divmod,
  div = div,
  div_ceil = div_ceil,
  parse = parse,
  str = str,
  fits_u64 = fits_u64,
  sat64 = sat64,
  inc64 = inc64,
  dec64 = dec64,
  ZERO = ZERO,
  ONE = ONE,
  U64_MAX = U64_MAX,
  MS = MS
}

R = {
  N = N,
  algorithms = {},
  ops = {check = op_check, reset = op_reset},
  all_of = nil,
  fail = fail,
  args = args,
  ticks = ticks,
  rate = rate,
  now_ticks = now_ticks,
  ceil_nanos = ceil_nanos,
  wait_until = wait_until,
  decision = decision,
  capacity_error = capacity_error,
  load = load_fields,
  save = save_fields,
  expire = expire,
  bool = bool,
  reply_decision = reply_decision,
  reply_error = reply_error,
  algorithm = algorithm,
  one_key = one_key,
  main = main
}
