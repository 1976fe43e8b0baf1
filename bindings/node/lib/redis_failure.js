'use strict'
// What a Redis limiter answers while Redis is unavailable: an error, admit, refuse, or an
// in-process limiter (given, or the same algorithm with a share of the quota). Internal.

const { native } = require('./native')
const { expect, rangeError, typeError } = require('./error')
const { Burst, Credits, FixedWindow, Gcra, KeyedLimiter, SlidingLog, SlidingWindow, TokenBucket, clockOf, nativeOf } = require('./limiter')
const { Concurrency } = require('./concurrency')

const FAILURE_POLICIES = ['error', 'open', 'closed']

/**
 * The same algorithm as `limiter` with `share` (0 < share <= 1) of its counts (limits, bursts,
 * budgets, rounded down, at least 1); periods and windows are kept. On the same clock.
 */
function scaled(limiter, share) {
  const { algorithm, params } = native.redisParams(nativeOf(limiter))
  const p = params.map(BigInt)
  const of = (n) => {
    const v = BigInt(Math.floor(Number(n) * share))
    return v < 1n ? 1n : v
  }
  const clock = clockOf(limiter)
  switch (algorithm) {
    case 'gcra':
      return new Gcra(`${of(p[0])}/${p[1]}ns burst ${of(p[2])}`, { clock })
    case 'token_bucket':
      return new TokenBucket(`${of(p[0])}/${p[1]}ns burst ${of(p[2])}`, { startsEmpty: p[3] === 1n, clock })
    case 'fixed_window':
      return new FixedWindow(`${of(p[0])}/${p[1]}ns`, { clock })
    case 'sliding_window':
      return new SlidingWindow(`${of(p[0])}/${p[1]}ns`, { clock })
    case 'sliding_log':
      return new SlidingLog(`${of(p[0])}/${p[1]}ns`, { entries: Number(of(p[2])), clock })
    case 'burst':
      return new Burst(`${of(p[0])}/${p[1]}ns burst ${of(p[2])}`, { burstWindowMs: Number(p[3]) / 1e6, clock })
    case 'credits':
      return new Credits(of(p[0]), { clock })
    default:
      throw typeError(`a ${algorithm} limit in Redis fails open, closed or with an error`)
  }
}

/** `onFailure`: a policy name, a limiter, or `{ share }` (made into a limiter by `make`). */
function failureOption(value, make) {
  if (value === undefined) return 'error'
  if (value instanceof KeyedLimiter && !(value instanceof Concurrency)) return value
  if (typeof value === 'object' && value !== null && !(value instanceof KeyedLimiter)) {
    const { share } = value
    expect(typeof share === 'number', 'onFailure.share', 'a number', share)
    if (!(share > 0 && share <= 1)) throw rangeError(`onFailure.share must be a fraction of the quota above 0 and at most 1, got ${share}`)
    return make(share)
  }
  expect(typeof value === 'string', 'onFailure', '"error", "open", "closed", { share } or a limiter', value)
  if (!FAILURE_POLICIES.includes(value)) throw rangeError(`onFailure must be "error", "open", "closed", { share } or a limiter, got ${JSON.stringify(value)}`)
  return value
}

/** What a limiter answers while Redis is unavailable. */
function fallback(policy, store, capacity, local, key, c, error) {
  if (policy === 'error') throw error
  if (policy === 'open') return { allowed: true, limit: capacity, remaining: capacity, retryAfterMs: 0, resetAfterMs: 0 }
  if (policy === 'closed') {
    const wait = store.retryInMs
    return { allowed: false, limit: capacity, remaining: 0, retryAfterMs: wait, resetAfterMs: wait }
  }
  return local(policy, key, c)
}

module.exports = { fallback, failureOption, scaled }
