'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { ManualClock, SlidingWindow } = require('..')

test('a sliding window weighs the previous window by its overlap', () => {
  const clock = new ManualClock()
  const w = new SlidingWindow('10/second', { clock })
  for (let i = 0; i < 10; i++) assert.equal(w.check().allowed, true)
  assert.equal(w.check().allowed, false)
  clock.advance(1500)
  // Half of the previous window's 10 still counts.
  assert.equal(w.peek().remaining, 5)
})
