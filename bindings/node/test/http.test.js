'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const ratecell = require('..')
const { TYPE, VALUE, throwsCode } = require('./helpers')

const NOW = 1_706_284_800_000
const denial = { allowed: false, limit: 100, remaining: 0, retryAfterMs: 12_000, resetAfterMs: 12_000 }

test('a denial carries the header fields of every style and Retry-After rounded up', () => {
  const o = { nowMs: NOW, quota: 100, windowMs: 60_000 }
  assert.deepEqual(ratecell.headers(denial, 'legacy', o), {
    'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1706284812', 'Retry-After': '12',
  })
  assert.deepEqual(ratecell.headers(denial, 'ietf', o), {
    'RateLimit-Policy': '"default";q=100;w=60', RateLimit: '"default";r=0;t=12', 'Retry-After': '12',
  })
  assert.equal(ratecell.headers(denial, 'draft-7', o).RateLimit, 'limit=100, remaining=0, reset=12')
  assert.equal(ratecell.headers(denial, 'draft-6', o)['RateLimit-Reset'], '12')
  assert.equal(ratecell.headers({ ...denial, retryAfterMs: 1 }, 'legacy', o)['Retry-After'], '1')
  assert.equal(ratecell.headers({ ...denial, allowed: true, retryAfterMs: 0 }, 'legacy', o)['Retry-After'], undefined)
})

test('a limiter advertises its own quota in its headers', () => {
  const clock = new ratecell.ManualClock()
  const g = new ratecell.Gcra('60/minute', { clock })
  const h = g.headers(g.check('k'), 'ietf')
  assert.equal(h['RateLimit-Policy'], '"default";q=60;w=60')
  assert.equal(h.RateLimit, '"default";r=59;t=1')
})

test('the 429 and 402 bodies have the published shape', () => {
  const body = JSON.parse(ratecell.rateLimitBody(denial, { nowMs: NOW }))
  assert.deepEqual(body, {
    error: {
      code: 'rate_limit_exceeded',
      message: 'Rate limit exceeded. Please retry after 12 seconds.',
      type: 'rate_limit_error',
      details: { limit: 100, remaining: 0, reset_at: '2024-01-26T16:00:12Z' },
    },
  })
  assert.equal(ratecell.rateLimitBody({ ...denial, allowed: true, retryAfterMs: 0 }), null)
  assert.equal(JSON.parse(ratecell.insufficientCreditsBody()).error.code, 'insufficient_api_credits')
})

test('response fields parse back from any header container', () => {
  const fields = { 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1706284812', 'Retry-After': '12' }
  for (const container of [fields, new Map(Object.entries(fields)), Object.entries(fields), new Headers(fields)]) {
    const info = ratecell.parseRateLimitHeaders(container, { nowMs: NOW })
    assert.equal(info.limit, 100)
    assert.equal(info.remaining, 0)
    assert.equal(info.resetMs, 12_000)
    assert.equal(info.retryAfterMs, 12_000)
  }
  assert.equal(ratecell.parseRateLimitHeaders({ 'X-RateLimit-Limit': 'lots' }).limit, undefined)
})

test('Retry-After parses as delay seconds or an HTTP-date, and garbage is undefined', () => {
  assert.equal(ratecell.parseRetryAfter('30'), 30_000)
  assert.equal(ratecell.parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', { nowMs: Date.parse('Wed, 21 Oct 2015 07:27:00 GMT') }), 60_000)
  for (const bad of ['', 'soon', '-1', '1.5']) assert.equal(ratecell.parseRetryAfter(bad), undefined, bad)
  assert.equal(ratecell.parseRetryAfter('99999999999999999999999'), Infinity, 'an absurd delay is still a delay')
  throwsCode(() => ratecell.parseRetryAfter(30), TypeError, TYPE)
})

test('header arguments are checked', () => {
  throwsCode(() => ratecell.headers(denial, 'draft-9'), RangeError, VALUE)
  throwsCode(() => ratecell.headers(null), TypeError, TYPE)
  throwsCode(() => ratecell.headers({ ...denial, limit: '100' }), TypeError, TYPE)
  throwsCode(() => ratecell.headers(denial, 'ietf', { nowMs: 'now' }), TypeError, TYPE)
  throwsCode(() => ratecell.parseRateLimitHeaders('X-RateLimit-Limit: 1'), TypeError, TYPE)
})

test('every policy says what its decisions advertise, as the core decides it', () => {
  const limit = (quota, windowMs, unit = 'requests') => ({ kind: 'limit', quota, windowMs, unit })
  assert.deepEqual(new ratecell.Gcra('100/minute burst 120').policy.advertised, limit(100, 60_000))
  assert.deepEqual(new ratecell.SlidingLog('5/second').policy.advertised, limit(5, 1_000))
  assert.deepEqual(
    new ratecell.Burst({ limit: 100, periodMs: 60_000, burst: 20, burstWindowMs: 10_000 }).policy.advertised,
    limit(100, 60_000),
  )
  assert.deepEqual(new ratecell.Concurrency({ limit: 3, ttlMs: 1_000 }).policy.advertised, limit(3, 0, 'concurrent-requests'))
  assert.deepEqual(new ratecell.Credits({ budget: 1_000 }).policy.advertised, { kind: 'credits' })
  assert.ok(Object.isFrozen(new ratecell.Gcra('1/second').policy.advertised))
})
