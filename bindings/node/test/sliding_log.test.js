'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { ManualClock, SlidingLog } = require('..')
const { VALUE, throwsCode } = require('./helpers')

test('a sliding log admits exactly limit requests in any window', () => {
  const clock = new ManualClock()
  const log = new SlidingLog('3/second', { clock })
  log.check()
  clock.advance(400)
  log.check()
  log.check()
  const d = log.check()
  assert.equal(d.allowed, false)
  assert.equal(d.retryAfterMs, 600)
  clock.advance(600)
  assert.equal(log.check().allowed, true)
})

test('a log is sized from the limit, or from entries', () => {
  assert.ok(new SlidingLog('100/second').policy.entries >= 100)
  assert.ok(new SlidingLog('100/second', { entries: 8 }).policy.entries >= 8)
  throwsCode(() => new SlidingLog('100/second', { entries: 1e9 }), RangeError, VALUE)
})
