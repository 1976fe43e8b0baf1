'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { ManualClock, TokenBucket } = require('..')

test('a token bucket refills one token per emission interval', () => {
  const clock = new ManualClock()
  const b = new TokenBucket('2/second', { clock })
  assert.equal(b.check('k').remaining, 1)
  assert.equal(b.check('k').remaining, 0)
  assert.equal(b.check('k').retryAfterMs, 500)
  clock.advance(500)
  assert.equal(b.check('k').allowed, true)
})
