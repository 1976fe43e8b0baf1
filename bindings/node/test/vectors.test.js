'use strict'
// The conformance vectors of tests/vectors, replayed through the Node API: the same
// limiters, instants and expectations as the Rust, C and Python replays. Times are set on a
// ManualClock in exact nanoseconds; a decision's durations are compared as the milliseconds
// the binding reports, the expected nanoseconds converted the same way (n / 1e6, never:
// Infinity).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const ratecell = require('..')

const DIR = path.join(__dirname, '..', '..', '..', 'tests', 'vectors')
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
const KEY = 'vector-key'
const NEVER = 18446744073709551615n

/** Integers above 2^53 are written as decimal strings. */
const big = (value) => BigInt(value)

/** A duration in nanoseconds as the milliseconds the binding reports. */
function ms(value) {
  const ns = big(value)
  return ns === NEVER ? Infinity : Number(ns) / 1e6
}

/** Nanoseconds as an options' milliseconds, checked to convert back to the same nanosecond. */
function optionMs(value) {
  const ns = big(value)
  const m = Number(ns) / 1e6
  assert.equal(BigInt(Math.round(m * 1e6)), ns, `${ns} ns does not survive milliseconds`)
  return m
}

/** A count as a JavaScript number (or bigint when beyond 2^53, which the API accepts). */
function count(value) {
  const n = big(value)
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
}

function build(spec, clock) {
  const { algorithm } = spec
  if (algorithm === 'all_of') return new ratecell.AllOf(spec.members.map((m) => build(m, clock)))
  if (algorithm === 'credits') return new ratecell.Credits(count(spec.budget), { clock })
  if (algorithm === 'concurrency') return new ratecell.Concurrency(count(spec.limit), { ttlMs: optionMs(spec.ttl_ns), clock })
  let quota = `${big(spec.limit)}/${big(spec.period_ns)}ns`
  if (spec.burst !== undefined) quota += ` burst ${big(spec.burst)}`
  switch (algorithm) {
    case 'gcra': return ratecell.Gcra.parse(quota, { clock })
    case 'token_bucket': return ratecell.TokenBucket.parse(quota, { startsEmpty: spec.starts_empty ?? false, clock })
    case 'burst': return ratecell.Burst.parse(quota, { burstWindowMs: optionMs(spec.burst_window_ns), clock })
    case 'fixed_window': return ratecell.FixedWindow.parse(quota, { clock })
    case 'sliding_window': return ratecell.SlidingWindow.parse(quota, { clock })
    case 'sliding_log': return ratecell.SlidingLog.parse(quota, { entries: count(spec.entries ?? 64), clock })
    default: throw new Error(`unknown algorithm ${algorithm}`)
  }
}

const STYLES = ['ietf', 'draft-8', 'draft-7', 'draft-6', 'legacy']

/** The response fields of decision `d` in every style, as the case's `headers` records them. */
function checkHeaders(limiter, d, step, http, where) {
  if (http === undefined || step.headers === undefined) return
  // A Decision's counts are JavaScript numbers: above 2^53 (a budget near 2^64) they are
  // rounded, and fields computed from them cannot match to the unit. The decision itself is
  // still compared (as the nearest number) by checkDecision.
  const exact = (v) => BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER)
  if (!exact(step.expect.limit) || !exact(step.expect.remaining)) return
  for (const style of STYLES) {
    const got = limiter.headers(d, style, { nowMs: http.unix_now_s * 1000, name: http.name })
    assert.deepEqual(got, step.headers[style], `${where}, ${style} fields`)
  }
}

function checkDecision(d, expect, where) {
  const got = { allowed: d.allowed, limit: d.limit, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetAfterMs: d.resetAfterMs }
  const want = {
    allowed: expect.allowed,
    limit: Number(big(expect.limit)),
    remaining: Number(big(expect.remaining)),
    retryAfterMs: ms(expect.retry_after_ns),
    resetAfterMs: ms(expect.reset_after_ns),
  }
  assert.deepEqual(got, want, where)
  if ('refused_by' in expect) assert.equal(d.refusedBy, expect.refused_by, where)
}

const ERRORS = {
  insufficient_capacity: 'ERR_RATECELL_INSUFFICIENT_CAPACITY',
  credits_overflow: 'ERR_RATECELL_CREDITS_OVERFLOW',
}

function cost(step) {
  return step.costs !== undefined ? step.costs.map(count) : count(step.cost)
}

function replay(c) {
  const clock = new ratecell.ManualClock()
  const limiter = build(c.limiter, clock)
  const leases = new Map()
  const reservations = new Map()
  c.steps.forEach((step, i) => {
    const where = `step ${i}: ${JSON.stringify(step)}`
    if (step.now_ns !== undefined) clock.setNs(big(step.now_ns))
    const run = {
      check: () => limiter.check(KEY, cost(step)),
      top_up: () => limiter.topUp(KEY, count(step.amount)),
      reserve: () => limiter.reserve(KEY, count(step.cost), { maxWaitMs: optionMs(step.max_wait_ns) }),
    }
    if (step.error !== undefined) {
      assert.throws(run[step.op], (e) => e instanceof RangeError && e.code === ERRORS[step.error], where)
      return
    }
    switch (step.op) {
      case 'check': {
        const d = run.check()
        checkDecision(d, step.expect, where)
        checkHeaders(limiter, d, step, c.http, where)
        break
      }
      case 'peek': {
        const d = limiter.peek(KEY)
        checkDecision(d, step.expect, where)
        checkHeaders(limiter, d, step, c.http, where)
        break
      }
      case 'reset':
        limiter.reset(KEY)
        break
      case 'top_up':
        assert.equal(run.top_up(), Number(big(step.remaining)), where)
        break
      case 'acquire': {
        const d = limiter.acquire(KEY)
        checkDecision(d, step.expect, where)
        checkHeaders(limiter, d, step, c.http, where)
        assert.equal(d.lease !== null, step.granted, where)
        if (d.lease !== null) leases.set(step.lease, d.lease)
        break
      }
      case 'release':
      case 'renew': {
        const lease = leases.get(step.lease)
        assert.equal(step.op === 'release' ? lease.release() : lease.renew(), step.done, where)
        break
      }
      case 'reserve': {
        const r = run.reserve()
        assert.notEqual(r, null, where)
        assert.deepEqual([r.committed, r.readyAtNs], [step.committed, big(step.ready_at_ns)], where)
        reservations.set(step.reservation, r)
        break
      }
      case 'cancel':
        assert.equal(reservations.get(step.reservation).cancel(), Number(big(step.returned)), where)
        break
      default:
        throw new Error(`unknown op ${step.op}`)
    }
  })
}

test('every algorithm has vectors', () => {
  const algorithms = new Set()
  for (const file of FILES) {
    for (const c of JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')).cases) algorithms.add(c.limiter.algorithm)
  }
  for (const a of ['gcra', 'burst', 'fixed_window', 'sliding_window', 'sliding_log', 'token_bucket', 'credits', 'concurrency', 'all_of']) {
    assert.ok(algorithms.has(a), a)
  }
})

for (const file of FILES) {
  test(`the vectors of ${file}`, async (t) => {
    for (const c of JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')).cases) {
      await t.test(c.name, () => replay(c))
    }
  })
}
