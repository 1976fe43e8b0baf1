'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Burst, ManualClock } = require('..')
const { TYPE, throwsCode } = require('./helpers')

test('a burst tier caps the short-term peak and the sustained rate together', () => {
  const clock = new ManualClock()
  const b = Burst.parse('100/minute burst 120', { burstWindowMs: 10_000, clock })
  let admitted = 0
  for (let i = 0; i < 50; i++) admitted += b.check('k').allowed ? 1 : 0
  assert.equal(admitted, 20)
  assert.equal(b.policy.burstWindowMs, 10_000)
})

test('a burst tier needs burstWindowMs', () => {
  throwsCode(() => Burst.parse('100/minute burst 120'), TypeError, TYPE)
})
