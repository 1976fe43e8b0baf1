-- The arithmetic under test: op `arith`, then the function name in place of the algorithm and
-- its decimal operands. Loaded only by the tests (script `arith`), never in production scripts.

local N = R.N

local function operands(args, n)
  local out = {}
  for i = 1, n do
    local s = args:raw('operand')
    out[i] = N.parse(s)
    if out[i] == nil then
      R.fail('operand ' .. s .. ' is not a natural')
    end
  end
  args:done()
  return out
end

local functions = {
  str = function(a) return {N.str(a[1])} end,
  add = function(a) return {N.str(N.add(a[1], a[2]))} end,
  sub = function(a) return {N.str(N.satsub(a[1], a[2]))} end,
  mul = function(a) return {N.str(N.mul(a[1], a[2]))} end,
  divmod = function(a)
    local q, r = N.divmod(a[1], a[2])
    return {N.str(q), N.str(r)}
  end,
  div_ceil = function(a) return {N.str(N.div_ceil(a[1], a[2]))} end,
  cmp = function(a) return {N.cmp(a[1], a[2])} end,
  approx = function(a) return {string.format('%.17g', N.approx(a[1]))} end,
  ticks = function(a)
    local scale, interval = R.ticks(a[1], a[2])
    return {string.format('%.0f', scale), N.str(interval)}
  end
}
local arity = {str = 1, approx = 1, add = 2, sub = 2, mul = 2, divmod = 2, div_ceil = 2, cmp = 2, ticks = 2}

R.ops.arith = function(keys, now, floor_ms, name, args)
  local f = functions[name]
  if f == nil then
    R.fail('no arithmetic function ' .. tostring(name))
  end
  local a = operands(args, arity[name])
  if (name == 'divmod' or name == 'div_ceil') and #a[2] == 0 then
    R.fail('division by zero')
  end
  return f(a)
end
