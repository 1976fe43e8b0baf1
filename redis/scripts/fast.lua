-- ratecell for Redis: fast paths, first in the scripts that have them (see redis/README.md).
--
-- The prelude (lib.lua) decides every call exactly with arbitrary-precision naturals; defining
-- it and computing with it takes tens of microseconds a call. The most common calls are decided
-- here first, before the prelude is defined, with the same reply and the same writes:
--
-- - a GCRA `check` whose quota ticks in whole nanoseconds (limit divides period_ns) and whose
--   tolerance (burst * period / limit) is below 2^52 ns;
-- - a burst tier `check` whose two buckets both tick in whole nanoseconds (limit and burst
--   divide period_ns), with burst * burst_window and both tolerances below 2^52;
-- - a token bucket `check` or `reserve` under the same conditions as GCRA, with a stored
--   serial and a max_wait of at most 15 digits;
-- - a credits `check` whose budget and stored counts have at most 15 digits;
-- - an all_of `check` whose members are all GCRA under the conditions above;
-- - a concurrency `check`, `acquire`, `release` or `renew` with a ttl below 2^52 ns;
-- - a credits `top_up` of at most 15 digits;
-- - a fixed window `check` whose period is below 2^52 ns;
-- - a sliding window `check` whose limit * period is below 2^52 (100/minute: 6 * 10^12), with
--   stored counts no larger than the limit;
-- - a sliding log `check` whose period is below 2^52 ns;
--
-- with arguments of at most 15 digits, and an instant and stored instants of at most 19. In
-- plain doubles: an instant is a pair (seconds, nanoseconds), both exact, and every duration a
-- decision computes is below 2^52 ns, so every operation is exact. Any other call falls through
-- to the prelude untouched (this file then has read the clock and the key, nothing more).

do
  local argv = ARGV
  local algorithm = argv[5]
  local op = argv[1]
  if (op == 'check' and (algorithm == 'all_of' or #KEYS == 1)
    and (algorithm == 'all_of' or (algorithm == 'gcra' and #argv == 9)
      or (algorithm == 'concurrency' and #argv == 8)
      or (algorithm == 'burst' and #argv == 10)
      or (algorithm == 'credits' and #argv == 7)
      or (algorithm == 'token_bucket' and #argv == 10)
      or (algorithm == 'fixed_window' and #argv == 8)
      or (algorithm == 'sliding_window' and #argv == 8)
      or (algorithm == 'sliding_log' and #argv == 9)))
    or (op == 'reserve' and algorithm == 'token_bucket' and #KEYS == 1 and #argv == 11)
    or (algorithm == 'concurrency' and #KEYS == 1
      and ((op == 'acquire' and #argv == 7)
        or ((op == 'release' or op == 'renew') and #argv == 9)))
    or (op == 'top_up' and algorithm == 'credits' and #KEYS == 1 and #argv == 7) then
    local floor, format, call = math.floor, string.format, redis.call
    local G = 1000000000 -- nanoseconds per second: the pairs' base
    local SMALL = 4503599627370496 -- 2^52
    local NEVER = '18446744073709551615' -- u64::MAX: waiting never helps

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
    -- (s, n) + d for |d| < 2^52 (the result not negative): n + d stays within 2^53.
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

    -- A stored instant (absent: 0) as a pair; nil when it has more than 19 digits.
    local function stored_instant(v)
      if not v then
        return 0, 0
      end
      if digits(v, 19) then
        return instant(v)
      end
      return nil
    end
    -- A stored count (absent: 0); nil when it has more than 15 digits.
    local function stored_count(v)
      if not v then
        return 0
      end
      return digits(v, 15)
    end
    -- A value of the same length in milliseconds, rounded up.
    local function millis_up(s, n)
      local ms = floor((n + 999999) / 1000000)
      if ms * 1000000 < n then
        ms = ms + 1
      elseif (ms - 1) * 1000000 >= n then
        ms = ms - 1
      end
      return s * 1000 + ms
    end
    -- (s, n) mod p for 0 < p < 2^52: ((s mod p) * 10^9 + n) mod p, the product reduced in
    -- steps that stay below 2^53 (three times 1000 for periods below 2^43, doubling above).
    local function mod(s, n, p)
      local x = math.fmod(s, p)
      if p < 8796093022208 then
        x = math.fmod(math.fmod(math.fmod(x * 1000, p) * 1000, p) * 1000, p)
      else
        local r, m = 0, G
        while m > 0 do
          if math.fmod(m, 2) == 1 then
            r = math.fmod(r + x, p)
          end
          x = math.fmod(x + x, p)
          m = floor(m / 2)
        end
        x = r
      end
      return math.fmod(x + n, p)
    end

    local floor_ms = argv[4] == '' and 0 or digits(argv[4], 15)
    -- The instant: the caller's (at most 19 digits), or the server's clock from `epoch`.
    local function clock()
      if argv[2] ~= '' then
        if digits(argv[2], 19) then
          return instant(argv[2])
        end
        return nil
      end
      local epoch = argv[3] == '' and 1704067200 or digits(argv[3], 15)
      if not epoch then
        return nil
      end
      local t = call('TIME')
      local secs = tonumber(t[1]) - epoch
      if secs < 0 then
        return 0, 0
      end
      return secs, tonumber(t[2]) * 1000
    end

    -- The instant (as `clock`) and `key`'s stored `...` fields (an `HMGET`); nil when the
    -- instant cannot be read.
    local function read(key, ...)
      local ns, nn = clock()
      if not ns then
        return nil
      end
      return ns, nn, call('HMGET', key, ...)
    end

    -- After a write: the key lives until it is fresh again, `(s, n)` from now, in whole
    -- milliseconds rounded up, plus one, and at least floor_ms (lib.lua's expire).
    local function expire(key, s, n)
      if s == 0 and n == 0 then
        call('DEL', key)
        return
      end
      local life = millis_up(s, n) + 1
      if life < floor_ms then
        life = floor_ms
      end
      call('PEXPIRE', key, format('%.0f', life))
    end
    local function reply(ns, nn, allowed, limit, remaining, retry, reset)
      return {
        'ok',
        text(ns, nn),
        allowed and 1 or 0,
        format('%.0f', limit),
        format('%.0f', remaining),
        retry,
        reset
      }
    end

    -- One GCRA bucket, the core's gcra.rs in nanosecond ticks (see gcra.lua): from the stored
    -- tat (ts, tn) at now (ns, nn), with a whole-nanosecond `interval` and `tolerance` (B*T,
    -- below 2^52), a request of `cost`: new_tat = max(tat, now) + cost * T, admitted iff
    -- new_tat <= now + tolerance. Returns whether it is admitted, the tat kept (the new one
    -- when admitted with a cost, else the stored one), the wait (0 when admitted), how far
    -- the tat kept is ahead of now, and the unit requests still admissible. Below 10^19 +
    -- 2^53 every instant fits in u64 and stays far from its end, so neither limit of
    -- gcra.lua applies.
    local function bucket(ts, tn, ns, nn, interval, tolerance, cost)
      local ms, mn = ts, tn
      if before(ts, tn, ns, nn) then
        ms, mn = ns, nn
      end
      local news, newn = plus(ms, mn, cost * interval)
      local lats, latn = plus(ns, nn, tolerance)
      local allowed = not before(lats, latn, news, newn)
      local tols, toln = plus(0, 0, tolerance)
      local ws, wn = 0, 0
      if allowed then
        if cost > 0 then
          ts, tn = news, newn
        end
      else
        local ds, dn = minus(news, newn, ns, nn)
        ws, wn = minus(ds, dn, tols, toln)
      end
      -- The standing of the tat kept: `ahead` of now, room for what is left of the tolerance.
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
      return allowed, ts, tn, ws, wn, as, an, remaining
    end

    -- A GCRA rate from the arguments limit, period_ns and burst at `at`, and the cost at
    -- `cost_at`: the interval, the tolerance, the burst and the cost; nil when the fast path
    -- does not apply (an argument of more than 15 digits, an interval that is not whole
    -- nanoseconds, a tolerance not below 2^52, a cost above the burst).
    local function gcra_rate(at, cost_at)
      local limit, period = digits(argv[at], 15), digits(argv[at + 1], 15)
      local burst, cost = digits(argv[at + 2], 15), digits(argv[cost_at], 15)
      local interval = limit and period and limit > 0 and period > 0
        and math.fmod(period, limit) == 0 and period / limit
      local tolerance = interval and burst and burst > 0 and interval * burst
      if tolerance and tolerance < SMALL and cost and cost <= burst then
        return interval, tolerance, burst, cost
      end
      return nil
    end

    local function gcra(key)
      local interval, tolerance, burst, cost = gcra_rate(6, 9)
      if not interval then
        return nil
      end
      local ns, nn, raw = read(key, 'tat')
      if not ns then
        return nil
      end
      local ts, tn = stored_instant(raw[1])
      if not ts then
        return nil
      end
      local allowed, ks, kn, ws, wn, as, an, remaining =
        bucket(ts, tn, ns, nn, interval, tolerance, cost)
      if allowed and cost > 0 then
        call('HSET', key, 'tat', text(ks, kn))
        expire(key, as, an)
      end
      return reply(ns, nn, allowed, burst, remaining, text(ws, wn), text(as, an))
    end

    -- The core's fixed_window.rs (see fixed_window.lua): windows [k*period, (k+1)*period)
    -- from instant 0; the stored count holds while the window of max(now, start) is the
    -- window of the stored start.
    local function fixed_window(key)
      local limit, period = digits(argv[6], 15), digits(argv[7], 15)
      local cost = digits(argv[8], 15)
      if not (limit and period and cost and limit > 0 and period > 0 and period < SMALL
          and cost <= limit) then
        return nil
      end
      local ns, nn, raw = read(key, 'start', 'count')
      if not ns then
        return nil
      end
      local ss, sn = stored_instant(raw[1])
      local count = stored_count(raw[2])
      if not (ss and count) then
        return nil
      end
      -- The window the decision is made in, and the count in it.
      local ws, wn
      if count == 0 then
        ws, wn = plus(ns, nn, -mod(ns, nn, period))
      else
        local es, en = ss, sn
        if before(ss, sn, ns, nn) then
          es, en = ns, nn
        end
        ws, wn = plus(es, en, -mod(es, en, period))
        local os, on = plus(ss, sn, -mod(ss, sn, period))
        if os ~= ws or on ~= wn then
          count = 0
        end
      end
      local es, en = plus(ws, wn, period)
      local until_end = text(minus(es, en, ns, nn))
      local after = count + cost
      if after > limit then
        local left = limit > count and limit - count or 0
        return reply(ns, nn, false, limit, left, until_end, until_end)
      end
      if cost > 0 then
        call('HSET', key, 'start', text(ws, wn), 'count', format('%.0f', after))
        expire(key, minus(es, en, ns, nn))
      end
      return reply(ns, nn, true, limit, limit - after, '0', after == 0 and '0' or until_end)
    end

    -- A ratio below 2^53 rounded down: floor(a / b) for 0 <= a < 2^53, 0 < b.
    local function quotient(a, b)
      local q = floor(a / b)
      local r = a - q * b
      if r < 0 then
        q = q - 1
      elseif r >= b then
        q = q + 1
      end
      return q
    end

    -- The core's concurrency.rs (see concurrency.lua): `check` (anonymous leases), `acquire`
    -- (one lease, named by its slot and serial) and `release`, with a limit of at most 65536
    -- and a ttl below 2^52 ns. Field `serial` is the last serial issued and each slot in use
    -- is a field s<slot> = "<serial> <expires_at_ns>"; a lease is live on [granted, expires).
    -- Serials are instants (first = max(serial + 1, now)), so they are pairs too.
    local function concurrency(key)
      local limit, ttl = digits(argv[6], 15), digits(argv[7], 15)
      if not (limit and ttl and limit >= 1 and limit <= 65536 and ttl >= 1 and ttl < SMALL) then
        return nil
      end
      local cost, slot, serial_s
      if op == 'check' then
        cost = digits(argv[8], 15)
        if not (cost and cost <= limit) then
          return nil
        end
      elseif op == 'acquire' then
        cost = 1
      else
        slot, serial_s = digits(argv[8], 15), argv[9]
        if not (slot and digits(serial_s, 19)) then
          return nil
        end
      end
      local ns, nn = clock()
      if not ns then
        return nil
      end
      -- The leases: the last serial, and each slot's serial and expiry.
      local flat = call('HGETALL', key)
      local ss, sn = 0, 0
      local slots = {}
      for i = 1, #flat, 2 do
        local name, value = flat[i], flat[i + 1]
        if name == 'serial' then
          ss, sn = stored_instant(value)
          if not ss then
            return nil
          end
        else
          local index = digits(name:match('^s(%d+)$'), 5)
          local a, b = value:match('^(%d+) (%d+)$')
          local gs, gn = stored_instant(a)
          local es, en = stored_instant(b)
          if not (index and a and gs and es) then
            return nil
          end
          slots[index] = {gs, gn, es, en}
        end
      end
      local function live(x)
        return x ~= nil and (x[1] > 0 or x[2] > 0) and before(ns, nn, x[3], x[4])
      end
      -- How many leases are live, and when the first and the last of them expire.
      local function census()
        local count, first, last = 0, nil, nil
        for _, x in pairs(slots) do
          if live(x) then
            count = count + 1
            if not first or before(x[3], x[4], first[1], first[2]) then
              first = {x[3], x[4]}
            end
            if not last or before(last[1], last[2], x[3], x[4]) then
              last = {x[3], x[4]}
            end
          end
        end
        return count, first, last
      end
      -- After a write: the key lives until no lease is live and the clock has passed the
      -- last serial (concurrency.lua's save).
      local function save(set, del)
        if #del > 0 then
          call('HDEL', key, unpack(del))
        end
        call('HSET', key, 'serial', text(ss, sn), unpack(set))
        local count, _, last = census()
        local ws, wn = 0, 0
        if last and before(ns, nn, last[1], last[2]) then
          ws, wn = minus(last[1], last[2], ns, nn)
        end
        local passed = (ss == 0 and sn == 0) or before(ss, sn, ns, nn)
        if not (ss == 0 and sn == 0) then
          local ps, pn = plus(ss, sn, 1)
          if before(ns, nn, ps, pn) then
            local ds, dn = minus(ps, pn, ns, nn)
            if before(ws, wn, ds, dn) then
              ws, wn = ds, dn
            end
          end
        end
        if count == 0 and passed then
          call('DEL', key)
        else
          expire(key, ws, wn)
        end
      end
      if op == 'release' or op == 'renew' then
        local x = slots[slot]
        local gs, gn = instant(serial_s)
        if not (x and (x[1] > 0 or x[2] > 0) and x[1] == gs and x[2] == gn) then
          return {'ok', text(ns, nn), 0}
        end
        local name = 's' .. format('%.0f', slot)
        if op == 'release' then
          local done = live(x)
          slots[slot] = nil
          save({}, {name})
          return {'ok', text(ns, nn), done and 1 or 0}
        end
        -- A live lease lives on for a whole ttl from now; an expired one stays expired.
        if not live(x) then
          return {'ok', text(ns, nn), 0}
        end
        x[3], x[4] = plus(ns, nn, ttl)
        save({name, text(x[1], x[2]) .. ' ' .. text(x[3], x[4])}, {})
        return {'ok', text(ns, nn), 1}
      end
      local count, first, last = census()
      local function standing(allowed, n, at, retry)
        local rs, rn = 0, 0
        if at and before(ns, nn, at[1], at[2]) then
          rs, rn = minus(at[1], at[2], ns, nn)
        end
        return reply(ns, nn, allowed, limit, limit > n and limit - n or 0, retry, text(rs, rn))
      end
      if cost == 0 then
        return standing(true, count, last, '0')
      end
      if count + cost > limit then
        -- That many live leases must end first: the need-th earliest expiry.
        local need = count + cost - limit
        local expiries = {}
        for _, x in pairs(slots) do
          if live(x) then
            expiries[#expiries + 1] = x
          end
        end
        table.sort(expiries, function(p, q)
          return before(p[3], p[4], q[3], q[4])
        end)
        local at = expiries[need]
        local retry = NEVER
        if at then
          retry = text(minus(at[3], at[4], ns, nn))
        end
        local out = standing(false, count, last, retry)
        if op == 'acquire' then
          out[#out + 1] = 0
          out[#out + 1] = -1
          out[#out + 1] = '0'
        end
        return out
      end
      -- Serials first .. first + cost - 1, strictly above every serial issued before.
      local fs, fn = plus(ss, sn, 1)
      if before(fs, fn, ns, nn) then
        fs, fn = ns, nn
      end
      local es, en = plus(ns, nn, ttl)
      local set, issued, index, granted = {}, 0, 0, nil
      while issued < cost do
        if not live(slots[index]) then
          local gs, gn = plus(fs, fn, issued)
          slots[index] = {gs, gn, es, en}
          set[#set + 1] = 's' .. format('%.0f', index)
          set[#set + 1] = text(gs, gn) .. ' ' .. text(es, en)
          granted = {index, text(gs, gn)}
          issued = issued + 1
        end
        index = index + 1
      end
      ss, sn = plus(fs, fn, cost - 1)
      save(set, {})
      if not last or before(last[1], last[2], es, en) then
        last = {es, en}
      end
      local out = standing(true, count + issued, last, '0')
      if op == 'acquire' then
        out[#out + 1] = 1
        out[#out + 1] = granted[1]
        out[#out + 1] = granted[2]
      end
      return out
    end

    -- The core's all_of.rs (see all_of.lua) when every member is a GCRA under the conditions
    -- above, each on its own key: every member is decided first; when all admit, each stores
    -- its tat, otherwise nothing is written and a member that would have admitted reports its
    -- standing as it is. The reply adds refused_by (-1 when admitted) and tightest.
    local function all_of_gcra()
      local n = digits(argv[6], 3)
      if not (n and n >= 1 and #KEYS == n and #argv == 6 + 5 * n) then
        return nil
      end
      local members = {}
      for i = 1, n do
        local at = 6 + 5 * (i - 1)
        if argv[at + 1] ~= 'gcra' then
          return nil
        end
        local interval, tolerance, burst, cost = gcra_rate(at + 2, at + 5)
        if not interval then
          return nil
        end
        members[i] = {interval = interval, tolerance = tolerance, burst = burst, cost = cost}
      end
      local ns, nn = clock()
      if not ns then
        return nil
      end
      local all = true
      for i, m in ipairs(members) do
        m.ts, m.tn = stored_instant(call('HMGET', KEYS[i], 'tat')[1])
        if not m.ts then
          return nil
        end
        m.ok, m.ks, m.kn, m.ws, m.wn, m.as, m.an, m.left =
          bucket(m.ts, m.tn, ns, nn, m.interval, m.tolerance, m.cost)
        all = all and m.ok
      end
      local limit, remaining, refused_by, tightest = nil, nil, -1, 0
      local rs, rn, es, en = 0, 0, 0, 0
      for i, m in ipairs(members) do
        local ok, ws, wn, as, an, left = m.ok, m.ws, m.wn, m.as, m.an, m.left
        if ok and not all then
          local _
          ok, _, _, ws, wn, as, an, left = bucket(m.ts, m.tn, ns, nn, m.interval, m.tolerance, 0)
        end
        if not ok and (refused_by < 0 or before(rs, rn, ws, wn)) then
          refused_by = i - 1
        end
        if remaining == nil or left < remaining then
          remaining, tightest = left, i - 1
        end
        if limit == nil or m.burst < limit then
          limit = m.burst
        end
        if before(rs, rn, ws, wn) then
          rs, rn = ws, wn
        end
        if before(es, en, as, an) then
          es, en = as, an
        end
      end
      if all then
        for i, m in ipairs(members) do
          if m.cost > 0 then
            call('HSET', KEYS[i], 'tat', text(m.ks, m.kn))
            expire(KEYS[i], m.as, m.an)
          end
        end
      end
      local out = reply(ns, nn, all, limit, remaining, text(rs, rn), text(es, en))
      out[#out + 1] = refused_by
      out[#out + 1] = tightest
      return out
    end

    -- The core's token_bucket.rs `check` (see token_bucket.lua): `full_at` plays GCRA's tat
    -- (the same admission, wait and standing); an admitted request with a cost also moves
    -- `latest` up to now and counts one more `serial`. A bucket that starts empty and was
    -- never charged starts from full_at = now + tolerance; its first charge stores that even
    -- when refused, and its keys persist.
    local function token_bucket(key)
      local interval, tolerance, burst, cost = gcra_rate(6, 10)
      local empty = argv[9]
      local max_wait = op == 'reserve' and digits(argv[11], 15)
      if not (interval and (empty == '0' or empty == '1') and (op == 'check' or max_wait)) then
        return nil
      end
      local ns, nn, raw = read(key, 'full_at', 'latest', 'serial')
      if not ns then
        return nil
      end
      local fs, fn = stored_instant(raw[1])
      local ls, ln = stored_instant(raw[2])
      local serial = stored_count(raw[3])
      if not (fs and ls and serial) then
        return nil
      end
      local unseen = empty == '1' and fs == 0 and fn == 0 and ls == 0 and ln == 0
        and serial == 0
      if unseen then
        fs, fn = plus(ns, nn, tolerance)
      end
      -- Records a charge: one committed (proceeding at `(rs, rn)`) moves `latest` up to then
      -- and counts one more serial; a bucket that starts empty keeps its first charge even
      -- when refused. `(ks, kn)` is the full_at kept.
      local function record(committed, ks, kn, rs, rn)
        if cost == 0 or not (committed or unseen) then
          return
        end
        if committed then
          if before(ls, ln, rs, rn) then
            ls, ln = rs, rn
          end
          serial = serial + 1
        end
        call('HSET', key, 'full_at', text(ks, kn), 'latest', text(ls, ln),
          'serial', format('%.0f', serial))
        if empty == '1' then
          call('PERSIST', key)
        else
          local as, an = 0, 0
          if before(ns, nn, ks, kn) then
            as, an = minus(ks, kn, ns, nn)
          end
          expire(key, as, an)
        end
      end
      if op == 'reserve' then
        -- The request proceeds once the bucket holds its cost: ready = max(new_full_at -
        -- tolerance, now); it is committed when that is at most max_wait away.
        local ms, mn = fs, fn
        if before(fs, fn, ns, nn) then
          ms, mn = ns, nn
        end
        local news, newn = plus(ms, mn, cost * interval)
        local rs, rn = ns, nn
        local lats, latn = plus(ns, nn, tolerance)
        if before(lats, latn, news, newn) then
          rs, rn = plus(news, newn, -tolerance)
        end
        local ds, dn = minus(rs, rn, ns, nn)
        local ws, wn = plus(0, 0, max_wait)
        local committed = not before(ws, wn, ds, dn)
        local before_s, before_n = ls, ln
        if committed and cost > 0 then
          record(true, news, newn, rs, rn)
        else
          record(false, fs, fn)
        end
        local ready = text(rs, rn)
        return {'ok', text(ns, nn), committed and 1 or 0, ready, text(ds, dn), ready,
          format('%.0f', serial), text(before_s, before_n)}
      end
      local allowed, ks, kn, ws, wn, as, an, remaining =
        bucket(fs, fn, ns, nn, interval, tolerance, cost)
      record(allowed, ks, kn, ns, nn)
      return reply(ns, nn, allowed, burst, remaining, text(ws, wn), text(as, an))
    end

    -- The core's burst.rs (see burst.lua): a sustained bucket (limit per period, holding
    -- limit) and a peak bucket (burst per period, holding floor(burst * window / period)),
    -- both GCRA. Both admit and record, or neither changes and a bucket that would have
    -- admitted reports its standing as it is. Fast when both intervals are whole nanoseconds
    -- and both tolerances are below 2^52 (the sustained one is the period itself).
    local function burst_tiers(key)
      local limit, period = digits(argv[6], 15), digits(argv[7], 15)
      local rate, window = digits(argv[8], 15), digits(argv[9], 15)
      local cost = digits(argv[10], 15)
      if not (limit and period and rate and window and cost and limit > 0 and period > 0
          and rate > 0 and period < SMALL and rate * window < SMALL
          and math.fmod(period, limit) == 0 and math.fmod(period, rate) == 0) then
        return nil
      end
      local hold = quotient(rate * window, period)
      local sustained, peak = period / limit, period / rate
      local peak_tolerance = peak * hold
      local capacity = limit < hold and limit or hold
      if not (hold > 0 and peak_tolerance < SMALL and cost <= capacity) then
        return nil
      end
      local ns, nn, raw = read(key, 'sustained', 'peak')
      if not ns then
        return nil
      end
      local ss, sn = stored_instant(raw[1])
      local ps, pn = stored_instant(raw[2])
      if not (ss and ps) then
        return nil
      end
      local s_ok, s_ts, s_tn, s_ws, s_wn, s_as, s_an, s_left =
        bucket(ss, sn, ns, nn, sustained, period, cost)
      local p_ok, p_ts, p_tn, p_ws, p_wn, p_as, p_an, p_left =
        bucket(ps, pn, ns, nn, peak, peak_tolerance, cost)
      local allowed = s_ok and p_ok
      if not allowed then
        if s_ok then
          s_ok, s_ts, s_tn, s_ws, s_wn, s_as, s_an, s_left =
            bucket(ss, sn, ns, nn, sustained, period, 0)
        end
        if p_ok then
          p_ok, p_ts, p_tn, p_ws, p_wn, p_as, p_an, p_left =
            bucket(ps, pn, ns, nn, peak, peak_tolerance, 0)
        end
      end
      -- The later of the two waits and of the two resets.
      local ws, wn = s_ws, s_wn
      if before(ws, wn, p_ws, p_wn) then
        ws, wn = p_ws, p_wn
      end
      local rs, rn = s_as, s_an
      if before(rs, rn, p_as, p_an) then
        rs, rn = p_as, p_an
      end
      if allowed and cost > 0 then
        call('HSET', key, 'sustained', text(s_ts, s_tn), 'peak', text(p_ts, p_tn))
        expire(key, rs, rn)
      end
      local remaining = s_left < p_left and s_left or p_left
      return reply(ns, nn, allowed, capacity, remaining, text(ws, wn), text(rs, rn))
    end

    -- The core's sliding_window.rs (see sliding_window.lua): a request of cost n at e ns into
    -- its window is admitted iff previous*(period - e) + (current + n)*period <= limit*period;
    -- below 2^52 every product of that comparison is exact.
    local function sliding_window(key)
      local limit, period = digits(argv[6], 15), digits(argv[7], 15)
      local cost = digits(argv[8], 15)
      if not (limit and period and cost and limit > 0 and period > 0 and cost <= limit
          and limit * period < SMALL) then
        return nil
      end
      local ns, nn, raw = read(key, 'start', 'previous', 'current')
      if not ns then
        return nil
      end
      local ss, sn = stored_instant(raw[1])
      local stored_previous, stored_current = stored_count(raw[2]), stored_count(raw[3])
      if not (ss and stored_previous and stored_current and stored_previous <= limit
          and stored_current <= limit) then
        return nil
      end
      -- The counts that apply at max(now, stored start), rolled forward by whole windows.
      local es, en, previous, current = ns, nn, 0, 0
      if stored_previous > 0 or stored_current > 0 then
        if before(ns, nn, ss, sn) then
          es, en = ss, sn
        end
        local os, on = plus(ss, sn, -mod(ss, sn, period))
        local cs, cn = plus(es, en, -mod(es, en, period))
        if cs == os and cn == on then
          previous, current = stored_previous, stored_current
        else
          local ps, pn = plus(os, on, period)
          if cs == ps and cn == pn then
            previous = stored_current
          end
        end
      end
      local elapsed = mod(es, en, period)
      local ws, wn = plus(es, en, -elapsed)
      -- The first offset at or after `from` into a window with these counts where the cost
      -- fits, or nil.
      local function first_fit(before_count, count, from)
        local used = count + cost
        if used > limit then
          return nil
        end
        if before_count == 0 then
          return from
        end
        local reach = quotient((limit - used) * period, before_count)
        local earliest = reach < period and period - reach or 0
        if earliest < from then
          earliest = from
        end
        if earliest < period then
          return earliest
        end
        return nil
      end
      local fit = first_fit(previous, current, elapsed)
      local allowed = fit ~= nil and fit == elapsed
      if allowed and cost > 0 then
        current = current + cost
      end
      local weighted = previous * (period - elapsed)
      local capacity = limit * period
      local budget = capacity > weighted and quotient(capacity - weighted, period) or 0
      local remaining = budget > current and budget - current or 0
      local retry = '0'
      if not allowed then
        -- Within this window, the next (the current count becomes the previous), or at the
        -- start of the one after, where nothing is counted and any cost fits.
        local as, an
        if fit ~= nil then
          as, an = plus(ws, wn, fit)
        else
          local next_fit = first_fit(current, 0, 0) or period
          as, an = plus(ws, wn, period)
          as, an = plus(as, an, next_fit)
        end
        retry = text(minus(as, an, ns, nn))
      end
      -- Until both counts have left the sliding window.
      local fs, fn = ns, nn
      if current > 0 then
        fs, fn = plus(ws, wn, period)
        fs, fn = plus(fs, fn, period)
      elseif previous > 0 then
        fs, fn = plus(ws, wn, period)
      end
      local us, un = minus(fs, fn, ns, nn)
      if allowed and cost > 0 then
        call('HSET', key, 'start', text(ws, wn), 'previous', format('%.0f', previous),
          'current', format('%.0f', current))
        expire(key, us, un)
      end
      return reply(ns, nn, allowed, limit, remaining, retry, text(us, un))
    end

    -- The core's credits.rs (see credits.lua): a budget that never replenishes, fields `used`
    -- and `added`. With the budget, the cost and both fields below 10^15, every sum is exact
    -- and far from u64's end, where credits.lua saturates.
    local function credits(key)
      local budget, cost = digits(argv[6], 15), digits(argv[7], 15)
      if not (budget and cost) then
        return nil
      end
      local ns, nn, raw = read(key, 'used', 'added')
      if not ns then
        return nil
      end
      local used, added = stored_count(raw[1]), stored_count(raw[2])
      if not (used and added) then
        return nil
      end
      if op == 'top_up' then
        -- `cost` is the amount; far below u64's end, nothing can overflow.
        added = added + cost
        if cost > 0 then
          call('HSET', key, 'used', format('%.0f', used), 'added', format('%.0f', added))
          call('PERSIST', key)
        end
        local granted = budget + added
        return {'ok', text(ns, nn), format('%.0f', granted > used and granted - used or 0)}
      end
      local limit = budget + added
      local left = limit > used and limit - used or 0
      if left < cost then
        return reply(ns, nn, false, limit, left, NEVER, NEVER)
      end
      used = used + cost
      if cost > 0 then
        -- Spent or topped up: the key never becomes fresh again, and persists.
        call('HSET', key, 'used', format('%.0f', used), 'added', format('%.0f', added))
        call('PERSIST', key)
      end
      local fresh = used == 0 and added == 0
      return reply(ns, nn, true, limit, left - cost, '0', fresh and '0' or NEVER)
    end

    -- The core's sliding_log.rs (see sliding_log.lua): one entry "<at_ns> <cost>" per admitted
    -- request in fields e<seq>, oldest first from `head`; an entry counts at `at` while
    -- at < its instant + period. Entries that left the window are dropped when a request is
    -- logged.
    -- The fields of `n` log entries from sequence number `head`.
    local function entry_names(head, n)
      local names = {}
      for i = 1, n do
        names[i] = 'e' .. format('%.0f', head + i - 1)
      end
      return names
    end

    local function sliding_log(key)
      local limit, period = digits(argv[6], 15), digits(argv[7], 15)
      local capacity, cost = digits(argv[8], 15), digits(argv[9], 15)
      if not (limit and period and capacity and cost and limit > 0 and period > 0
          and period < SMALL and capacity >= 1 and cost <= limit) then
        return nil
      end
      local ns, nn, h = read(key, 'head', 'len', 'total')
      if not ns then
        return nil
      end
      local head, len, total = stored_count(h[1]), stored_count(h[2]), stored_count(h[3])
      if not (head and len and total) then
        return nil
      end
      -- The entries, as instants (pairs) and costs.
      local ats, atn, costs = {}, {}, {}
      if len > 0 then
        local raw = call('HMGET', key, unpack(entry_names(head, len)))
        for i = 1, len do
          local at, c = nil, nil
          if type(raw[i]) == 'string' then
            at, c = raw[i]:match('^(%d+) (%d+)$')
          end
          if not (at and #at <= 19 and #c <= 15) then
            return nil
          end
          ats[i], atn[i] = instant(at)
          costs[i] = tonumber(c)
        end
      end
      -- A clock that stepped back before the newest entry counts as its instant.
      local es, en = ns, nn
      if len > 0 and before(ns, nn, ats[len], atn[len]) then
        es, en = ats[len], atn[len]
      end
      -- Whether entry i counts at the effective instant, and when it leaves, from now.
      local function counts(i)
        local ls, ln = plus(ats[i], atn[i], period)
        return before(es, en, ls, ln)
      end
      local function leaves(i)
        local ls, ln = plus(ats[i], atn[i], period)
        if before(ls, ln, ns, nn) then
          return '0'
        end
        return text(minus(ls, ln, ns, nn))
      end
      local room = cost > 0 and 1 or 0
      local function fits(logged, n)
        return logged + cost <= limit and n + room <= capacity
      end
      local function left(logged, n)
        local by_cost = limit > logged and limit - logged or 0
        local by_room = capacity > n and capacity - n or 0
        return by_cost < by_room and by_cost or by_room
      end
      local gone, gone_cost = 0, 0
      while gone < len and not counts(gone + 1) do
        gone = gone + 1
        gone_cost = gone_cost + costs[gone]
      end
      local logged = total > gone_cost and total - gone_cost or 0
      local live = len - gone
      local newest_live = len > 0 and counts(len) and len or nil
      if fits(logged, live) then
        if cost == 0 then
          return reply(ns, nn, true, limit, left(logged, live), '0',
            newest_live and leaves(newest_live) or '0')
        end
        if gone > 0 then
          call('HDEL', key, unpack(entry_names(head, gone)))
          head, len = head + gone, len - gone
          total = total > gone_cost and total - gone_cost or 0
        end
        call('HSET', key, 'e' .. format('%.0f', head + len), text(es, en) .. ' ' .. format('%.0f', cost),
          'head', format('%.0f', head), 'len', format('%.0f', len + 1),
          'total', format('%.0f', total + cost))
        local ls, ln = plus(es, en, period)
        local ws, wn = minus(ls, ln, ns, nn)
        expire(key, ws, wn)
        return reply(ns, nn, true, limit, left(logged + cost, live + 1), '0', text(ws, wn))
      end
      -- Denied: walk the oldest live entries out of the window until the request fits.
      local left_cost, left_len, retry = logged, live, NEVER
      for i = gone + 1, len do
        left_cost = left_cost > costs[i] and left_cost - costs[i] or 0
        left_len = left_len - 1
        if fits(left_cost, left_len) then
          retry = leaves(i)
          break
        end
      end
      return reply(ns, nn, false, limit, left(logged, live), retry,
        newest_live and leaves(newest_live) or '0')
    end

    if redis.replicate_commands then
      -- Redis before 5 replicates scripts verbatim unless told otherwise; TIME needs effects.
      pcall(redis.replicate_commands)
    end
    local decided
    if floor_ms then
      if algorithm == 'concurrency' then
        decided = concurrency(KEYS[1])
      elseif algorithm == 'gcra' then
        decided = gcra(KEYS[1])
      elseif algorithm == 'burst' then
        decided = burst_tiers(KEYS[1])
      elseif algorithm == 'credits' then
        decided = credits(KEYS[1])
      elseif algorithm == 'token_bucket' then
        decided = token_bucket(KEYS[1])
      elseif algorithm == 'fixed_window' then
        decided = fixed_window(KEYS[1])
      elseif algorithm == 'sliding_window' then
        decided = sliding_window(KEYS[1])
      elseif algorithm == 'all_of' then
        decided = all_of_gcra()
      else
        decided = sliding_log(KEYS[1])
      end
    end
    if decided then
      return decided
    end
  end
end
