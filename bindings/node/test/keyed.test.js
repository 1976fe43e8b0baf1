'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Gcra, ManualClock } = require('..')
const { throwsCode } = require('./helpers')

test('memory is bounded by maxKeys: a full table refuses new keys until one is fresh', () => {
  const clock = new ManualClock()
  const g = new Gcra('1/second', { maxKeys: 2, clock })
  g.check('a')
  g.check('b')
  const d = g.check('c')
  assert.equal(d.allowed, false)
  assert.equal(d.retryAfterMs, 1000)
  assert.equal(g.size, 2)
  clock.advance(1000)
  assert.equal(g.check('c').allowed, true)
  assert.ok(g.size <= 2)
})

test('an evicting table always admits new keys and stays bounded', () => {
  const g = new Gcra('1/second', { maxKeys: 2, whenFull: 'evict', clock: new ManualClock() })
  for (const k of ['a', 'b', 'c', 'd']) assert.equal(g.check(k).allowed, true)
  assert.ok(g.size <= 2)
})

test('long keys, lone surrogates and similar strings are distinct keys', () => {
  const g = new Gcra('1/second', { clock: new ManualClock() })
  const long = 'x'.repeat(4000)
  for (const k of [long, long + 'y', '\ud800', '\udc00', 'é', 'e\u0301']) assert.equal(g.check(k).allowed, true, k.slice(0, 8))
  assert.equal(g.check(long).allowed, false)
  assert.equal(g.size, 6)
})

test('a key longer than 4096 UTF-16 units is a RangeError and stores nothing', () => {
  const g = new Gcra('1/second')
  throwsCode(() => g.check('x'.repeat(4097)), RangeError, 'ERR_RATECELL_INVALID_KEY')
  assert.equal(g.size, 0)
})
