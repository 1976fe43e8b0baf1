'use strict'
// Every bad argument raises a TypeError or RangeError with a stable code and changes nothing.
const test = require('node:test')
const assert = require('node:assert/strict')
const ratecell = require('..')
const { CAPACITY, QUOTA, TYPE, VALUE, throwsCode } = require('./helpers')

const { Burst, Concurrency, Credits, FixedWindow, Gcra, SlidingLog, SlidingWindow, TokenBucket } = ratecell
const RATE = [Gcra, TokenBucket, FixedWindow, SlidingWindow, SlidingLog]
const BAD_NUMBERS = [-1, 0.5, NaN, Infinity, -Infinity, 2 ** 64, Number.MAX_VALUE]
const WRONG_TYPES = [null, '1', true, {}, [], () => 1, Symbol('s')]

for (const Kind of RATE) {
  test(`${Kind.name} refuses unusable limits, periods and bursts`, () => {
    for (const bad of BAD_NUMBERS) {
      throwsCode(() => new Kind({ limit: bad, periodMs: 1000 }), RangeError, VALUE)
      throwsCode(() => new Kind({ limit: 1, periodMs: bad === 0.5 ? -0.5 : bad }), RangeError, VALUE)
      throwsCode(() => new Kind({ limit: 1, periodMs: 1000, burst: bad }), RangeError, VALUE)
    }
    throwsCode(() => new Kind({ limit: 0, periodMs: 1000 }), RangeError, VALUE)
    throwsCode(() => new Kind({ limit: 1, periodMs: 0 }), RangeError, VALUE)
    for (const bad of WRONG_TYPES.filter((v) => v !== null)) {
      throwsCode(() => new Kind({ limit: bad, periodMs: 1000 }), TypeError, TYPE)
    }
    throwsCode(() => new Kind({ periodMs: 1000 }), TypeError, TYPE)
    throwsCode(() => new Kind({ limit: 1, periodMs: 1000, limt: 2 }), TypeError, TYPE)
    throwsCode(() => new Kind(null), TypeError, TYPE)
    throwsCode(() => new Kind(42), TypeError, TYPE)
    throwsCode(() => new Kind('5/second', { maxKeys: 0 }), RangeError, VALUE)
    throwsCode(() => new Kind('5/second', { maxKeys: -3 }), RangeError, VALUE)
    throwsCode(() => new Kind('5/second', { whenFull: 'maybe' }), RangeError, VALUE)
    throwsCode(() => new Kind('5/second', { quota: '1/second' }), TypeError, TYPE)
  })

  test(`${Kind.name} refuses unusable keys and costs and records nothing`, () => {
    const limiter = new Kind('5/second')
    for (const bad of BAD_NUMBERS) throwsCode(() => limiter.check('k', bad), RangeError, VALUE)
    throwsCode(() => limiter.check('k', -1n), RangeError, VALUE)
    throwsCode(() => limiter.check('k', 2n ** 64n), RangeError, VALUE)
    throwsCode(() => limiter.check('k', 6), RangeError, CAPACITY)
    for (const bad of WRONG_TYPES) {
      if (typeof bad !== 'string') {
        throwsCode(() => limiter.check(bad), TypeError, TYPE)
        throwsCode(() => limiter.peek(bad), TypeError, TYPE)
        throwsCode(() => limiter.reset(bad), TypeError, TYPE)
      }
      if (bad !== null) throwsCode(() => limiter.check('k', bad), TypeError, TYPE)
    }
    throwsCode(() => limiter.check(1), TypeError, TYPE)
    assert.equal(limiter.size, 0)
    assert.equal(limiter.check('k', 5n).remaining, 0, 'a bigint cost is exact')
  })
}

test('malformed quota strings say what was expected', () => {
  for (const bad of ['', '100', '100/', '/minute', '100/fortnight', '-1/second', '0/second', '1e3/second',
    '100/minute burst', '100/minute burst 0', '100 per', '99999999999999999999999/second', '100/minute extra']) {
    throwsCode(() => Gcra.parse(bad), RangeError, QUOTA)
    throwsCode(() => ratecell.parseQuota(bad), RangeError, QUOTA)
  }
  throwsCode(() => Gcra.parse(5), TypeError, TYPE)
  throwsCode(() => ratecell.parseQuota(undefined), TypeError, TYPE)
  assert.deepEqual(ratecell.parseQuota('1000 per hour'), { limit: 1000, periodMs: 3_600_000, burst: 1000 })
  assert.deepEqual(ratecell.parseQuota('100/minute burst 120'), { limit: 100, periodMs: 60_000, burst: 120 })
})

test('burst, credits and concurrency refuse their own bad options', () => {
  for (const bad of BAD_NUMBERS) {
    throwsCode(() => Burst.parse('100/minute burst 120', { burstWindowMs: bad === 0.5 ? -1 : bad }), RangeError, VALUE)
    throwsCode(() => new Credits({ budget: bad }), RangeError, VALUE)
    throwsCode(() => new Concurrency({ limit: bad, ttlMs: 1000 }), RangeError, VALUE)
  }
  throwsCode(() => new Credits(), TypeError, TYPE)
  throwsCode(() => new Credits('lots'), TypeError, TYPE)
  throwsCode(() => Burst.parse('100/minute burst 120', { burstWindowMs: '10s' }), TypeError, TYPE)
})

test('nothing crashes the process on hostile objects', () => {
  const hostile = new Proxy({}, { get() { throw new Error('trap') }, ownKeys() { throw new Error('trap') } })
  assert.throws(() => new Gcra(hostile))
  const getter = { get limit() { throw new Error('getter') }, periodMs: 1000 }
  assert.throws(() => new Gcra(getter))
  const g = new Gcra('1/second')
  assert.throws(() => g.check({ toString() { throw new Error('x') } }), { code: TYPE })
})
