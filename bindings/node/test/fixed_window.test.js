'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { FixedWindow, ManualClock } = require('..')

test('a fixed window admits limit requests per epoch-aligned window', () => {
  const clock = new ManualClock(250)
  const w = new FixedWindow('3/second', { clock })
  for (let i = 0; i < 3; i++) assert.equal(w.check().allowed, true)
  const d = w.check()
  assert.equal(d.allowed, false)
  assert.equal(d.retryAfterMs, 750)
  clock.advance(750)
  assert.equal(w.check().remaining, 2)
})
