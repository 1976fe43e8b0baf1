-- ratecell for Redis: fast paths, first in the scripts that have them (see redis/README.md).
--
-- The prelude (lib.lua) decides every call exactly with arbitrary-precision naturals; defining
-- it and computing with it takes tens of microseconds a call. The most common call is decided
-- here first, before the prelude is defined, with the same reply and the same writes: a GCRA
-- `check` whose quota ticks in whole nanoseconds (limit divides period_ns), whose tolerance
-- (burst * period / limit) is below 2^52 ns, with arguments of at most 15 digits, an instant and
-- a stored state of at most 19. In plain doubles: an instant is a pair (seconds, nanoseconds),
-- both exact, and every duration the decision computes is below 2^52 ns, so every operation is
-- exact. Any other call falls through to the prelude untouched (this file then has read the
-- clock and the key, nothing more).

do
  local argv = ARGV
  if argv[1] == 'check' and argv[5] == 'gcra' and #argv == 9 and #KEYS == 1 then
    local floor, format, call = math.floor, string.format, redis.call
    local G = 1000000000 -- nanoseconds per second: the pairs' base
    local SMALL = 4503599627370496 -- 2^52

    -- A decimal argument of at most `most` digits as a double, or nil.
    local function digits(s, most)
      if type(s) == 'string' and #s > 0 and #s <= most and not s:find('%D') then
        return tonumber(s)
      end
      return nil
    end
    -- Decimal digits (at most 19, already checked) as a pair.
    local function instant(s)
      local n = #s
      if n <= 9 then
        return 0, tonumber(s)
      end
      return tonumber(s:sub(1, n - 9)), tonumber(s:sub(n - 8))
    end
    local function before(as, an, bs, bn)
      return as < bs or (as == bs and an < bn)
    end
    -- (s, n) + d for 0 <= d < 2^52; n + d stays below 2^53.
    local function plus(s, n, d)
      local t = n + d
      local q = floor(t / G)
      local r = t - q * G
      if r < 0 then
        q, r = q - 1, r + G
      elseif r >= G then
        q, r = q + 1, r - G
      end
      return s + q, r
    end
    -- a - b for a >= b.
    local function minus(as, an, bs, bn)
      local s, n = as - bs, an - bn
      if n < 0 then
        s, n = s - 1, n + G
      end
      return s, n
    end
    local function text(s, n)
      if s == 0 then
        return format('%.0f', n)
      end
      return format('%.0f%09.0f', s, n)
    end

    local limit, period = digits(argv[6], 15), digits(argv[7], 15)
    local burst, cost = digits(argv[8], 15), digits(argv[9], 15)
    local floor_ms = argv[4] == '' and 0 or digits(argv[4], 15)
    local interval = limit and period and limit > 0 and period > 0
      and math.fmod(period, limit) == 0 and period / limit
    local tolerance = interval and burst and burst > 0 and interval * burst
    if tolerance and tolerance < SMALL and cost and cost <= burst and floor_ms then
      if redis.replicate_commands then
        -- Redis before 5 replicates scripts verbatim unless told otherwise; TIME needs effects.
        pcall(redis.replicate_commands)
      end
      local ns, nn
      if argv[2] ~= '' then
        if digits(argv[2], 19) then
          ns, nn = instant(argv[2])
        end
      else
        local epoch = argv[3] == '' and 1704067200 or digits(argv[3], 15)
        if epoch then
          local t = call('TIME')
          local secs = tonumber(t[1]) - epoch
          if secs < 0 then
            ns, nn = 0, 0
          else
            ns, nn = secs, tonumber(t[2]) * 1000
          end
        end
      end
      local key = KEYS[1]
      local raw = ns and call('HMGET', key, 'tat')[1]
      local ts, tn
      if raw == false then
        ts, tn = 0, 0
      elseif raw and digits(raw, 19) then
        ts, tn = instant(raw)
      end
      if ts then
        -- The core's gcra.rs in nanosecond ticks (see gcra.lua): new_tat = max(tat, now) +
        -- cost * T, admitted iff new_tat <= now + tolerance. Below 10^19 + 2^53 every instant
        -- fits in u64 and stays far from its end, so neither limit of gcra.lua applies.
        local ms, mn = ts, tn
        if before(ts, tn, ns, nn) then
          ms, mn = ns, nn
        end
        local news, newn = plus(ms, mn, cost * interval)
        local lats, latn = plus(ns, nn, tolerance)
        local allowed = not before(lats, latn, news, newn)
        local tols, toln = plus(0, 0, tolerance)
        local retry = '0'
        if allowed then
          if cost > 0 then
            ts, tn = news, newn
          end
        else
          local ds, dn = minus(news, newn, ns, nn)
          retry = text(minus(ds, dn, tols, toln))
        end
        -- The standing of the tat kept: ahead of now by `ahead`, room for what is left of the
        -- tolerance.
        local as, an = 0, 0
        if before(ns, nn, ts, tn) then
          as, an = minus(ts, tn, ns, nn)
        end
        local remaining = 0
        if before(as, an, tols, toln) then
          local gap = tolerance - (as * G + an)
          remaining = floor(gap / interval)
          local r = gap - remaining * interval
          if r < 0 then
            remaining = remaining - 1
          elseif r >= interval then
            remaining = remaining + 1
          end
        end
        if allowed and cost > 0 then
          call('HSET', key, 'tat', text(ts, tn))
          if as == 0 and an == 0 then
            call('DEL', key)
          else
            -- Expire when fresh, in whole milliseconds rounded up, at least floor_ms.
            local ms_up = floor((an + 999999) / 1000000)
            if ms_up * 1000000 < an then
              ms_up = ms_up + 1
            elseif (ms_up - 1) * 1000000 >= an then
              ms_up = ms_up - 1
            end
            local life = as * 1000 + ms_up
            if life < floor_ms then
              life = floor_ms
            end
            if life == 0 then
              life = 1
            end
            call('PEXPIRE', key, format('%.0f', life))
          end
        end
        return {
          'ok',
          text(ns, nn),
          allowed and 1 or 0,
          format('%.0f', burst),
          format('%.0f', remaining),
          retry,
          text(as, an)
        }
      end
    end
  end
end
