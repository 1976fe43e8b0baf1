-- AllOf (the core's all_of.rs): several limits decided as one, all or nothing, in one call.
--
-- KEYS: one key per member. ARGV after the header: the number of members, then for each member
-- its algorithm, its parameters and its cost. Every member is decided first, purely; only when
-- all admit are the members' states written. A member's error (a cost above its capacity) is
-- returned before anything is written. Members may be any algorithm in this script except
-- concurrency (whose leases are not a pure decision). Reply: the combined decision, then
-- refused_by (the refusing member with the longest wait, lowest index among equals, -1 when
-- admitted) and tightest (the member with the fewest remaining, lowest index among equals),
-- both 0-based.

local N = R.N

function R.all_of(keys, now, floor_ms, args)
  local n = args:count('members')
  if #keys ~= n then
    R.fail('all_of with ' .. n .. ' members needs ' .. n .. ' keys, got ' .. #keys)
  end
  local members = {}
  for i = 1, n do
    local name = args:raw('algorithm')
    if name == 'all_of' or name == 'concurrency' then
      R.fail('all_of cannot hold ' .. name)
    end
    local m = R.algorithm(name)
    local p = m.params(args)
    members[i] = {m = m, p = p, cost = args:u64('cost'), key = keys[i]}
  end
  args:done()
  -- First pass: decide every member purely.
  local all_admit = true
  for i, x in ipairs(members) do
    x.state = x.m.load(x.p, x.key)
    local d, next, changed = x.m.decide(x.p, x.state, now, x.cost)
    if d == nil then
      return R.reply_error(now, next, {i - 1})
    end
    x.d, x.next, x.changed = d, next, changed
    all_admit = all_admit and d.allowed
  end
  -- Second pass: fold the members' decisions (a member that would have admitted a refused
  -- request reports its standing as it is) and store every next state when all admit.
  local allowed, limit, remaining = true, N.U64_MAX, N.U64_MAX
  local retry_after, reset_after, refused_by, tightest = N.ZERO, N.ZERO, -1, 0
  for i, x in ipairs(members) do
    local d = x.d
    if not all_admit and d.allowed then
      d = x.m.decide(x.p, x.state, now, N.ZERO)
    end
    if not d.allowed then
      allowed = false
      if refused_by < 0 or N.lt(retry_after, d.retry_after) then
        refused_by = i - 1
      end
    end
    if N.lt(d.remaining, remaining) then
      remaining, tightest = d.remaining, i - 1
    end
    limit = N.min(limit, d.limit)
    retry_after = N.max(retry_after, d.retry_after)
    reset_after = N.max(reset_after, d.reset_after)
  end
  if all_admit then
    for _, x in ipairs(members) do
      if x.changed then
        x.m.store(x.p, x.key, x.next, now, floor_ms)
      end
    end
  end
  return R.reply_decision(now, R.decision(allowed, limit, remaining, retry_after, reset_after),
    {refused_by, tightest})
end
