'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Credits, ManualClock } = require('..')
const { VALUE, throwsCode } = require('./helpers')

test('running out of credits is a denial that no wait cures', () => {
  const c = new Credits(1000, { clock: new ManualClock() })
  assert.equal(c.check('acct', 588).remaining, 412)
  const d = c.check('acct', 588)
  assert.equal(d.allowed, false)
  assert.equal(d.retryAfterMs, Infinity)
  assert.equal(d.remaining, 412)
})

test('a top-up adds credits to one key', () => {
  const c = new Credits({ budget: 10 })
  c.check('a', 10)
  assert.equal(c.topUp('a', 5), 5)
  assert.equal(c.check('a', 5).allowed, true)
  assert.equal(c.check('b', 10).allowed, true)
})

test('a cost above the budget is a denial, since a top-up can cure it', () => {
  const c = new Credits(10)
  const d = c.check('a', 11)
  assert.equal(d.allowed, false)
  assert.equal(d.retryAfterMs, Infinity)
  assert.equal(c.topUp('a', 1), 11)
  assert.equal(c.check('a', 11).allowed, true)
})

test('bad top-ups are errors that change nothing', () => {
  const c = new Credits(10)
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) throwsCode(() => c.topUp('a', bad), RangeError, VALUE)
  assert.equal(c.size, 0)
})
