'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Gcra, ManualClock } = require('..')

test('a fresh key admits exactly burst requests at one instant', () => {
  const g = new Gcra('10/second burst 4', { clock: new ManualClock() })
  for (let i = 3; i >= 0; i--) assert.deepEqual(g.check('k'), { allowed: true, limit: 4, remaining: i, retryAfterMs: 0, resetAfterMs: 100 * (4 - i) })
  const d = g.check('k')
  assert.equal(d.allowed, false)
  assert.equal(d.retryAfterMs, 100)
})

test('a denial is admitted exactly at retryAfterMs and refused a nanosecond before', () => {
  const clock = new ManualClock()
  const g = new Gcra({ limit: 3, periodMs: 1000, clock })
  for (let i = 0; i < 3; i++) g.check()
  const d = g.check()
  clock.advanceNs(BigInt(Math.round(d.retryAfterMs * 1e6)) - 1n)
  assert.equal(g.check().allowed, false)
  clock.advanceNs(1n)
  assert.equal(g.check().allowed, true)
})

test('matches redis-cell for a cost above one', () => {
  const g = new Gcra('60/minute burst 10', { clock: new ManualClock() })
  const d = g.check('user', 4)
  assert.deepEqual(d, { allowed: true, limit: 10, remaining: 6, retryAfterMs: 0, resetAfterMs: 4000 })
  assert.equal(g.check('user', 7).retryAfterMs, 1000)
})

test('a cost of zero peeks and stores nothing', () => {
  const g = new Gcra('5/second', { clock: new ManualClock() })
  assert.equal(g.check('k', 0).remaining, 5)
  assert.equal(g.size, 0)
})

test('keys are independent and reset forgets one', () => {
  const g = new Gcra('1/second', { clock: new ManualClock() })
  assert.equal(g.check('a').allowed, true)
  assert.equal(g.check('a').allowed, false)
  assert.equal(g.check('b').allowed, true)
  assert.equal(g.check().allowed, true)
  assert.equal(g.check('').allowed, true, 'the empty string is not the default key')
  assert.equal(g.reset('a'), true)
  assert.equal(g.reset('a'), false)
  assert.equal(g.check('a').allowed, true)
  g.clear()
  assert.equal(g.size, 0)
})

test('the policy describes the quota', () => {
  const g = Gcra.parse('100/minute burst 120', { maxKeys: 10 })
  assert.equal(g.policy.kind, 'gcra')
  assert.equal(g.policy.limit, 100)
  assert.equal(g.policy.periodMs, 60_000)
  assert.equal(g.policy.burst, 120)
  assert.equal(g.policy.maxKeys, 10)
})
