'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const ratecell = require('..')

const KINDS = [
  ['Gcra', {}],
  ['TokenBucket', {}],
  ['FixedWindow', {}],
  ['SlidingWindow', {}],
  ['SlidingLog', {}],
  ['Burst', { burstWindowMs: 2_000 }],
]

test('every rate limiter decides the same from an options object and from a quota string', () => {
  for (const [name, extra] of KINDS) {
    const Kind = ratecell[name]
    const clock = new ratecell.ManualClock()
    const fromString = new Kind('5/second burst 8', { ...extra, clock })
    const fromOptions = new Kind({ limit: 5, periodMs: 1000, burst: 8, ...extra, clock })
    const parsed = Kind.parse('5/second burst 8', { ...extra, clock })
    assert.deepEqual(fromOptions.policy, fromString.policy, name)
    for (let i = 0; i < 40; i++) {
      const cost = i % 3
      const want = fromString.check('k', cost)
      assert.deepEqual(fromOptions.check('k', cost), want, `${name}, request ${i}`)
      assert.deepEqual(parsed.check('k', cost), want, `${name}, request ${i}`)
      clock.advance(37)
    }
  }
})

test('a limiter describes its policy', () => {
  const g = new ratecell.Gcra({ limit: 100, periodMs: 60_000, burst: 120, maxKeys: 10 })
  assert.equal(g.policy.kind, 'gcra')
  assert.equal(g.policy.limit, 100)
  assert.equal(g.policy.periodMs, 60_000)
  assert.equal(g.policy.burst, 120)
  assert.equal(g.policy.capacity, 120)
  assert.equal(g.policy.maxKeys, 10)
  assert.ok(Object.isFrozen(g.policy))
  assert.equal(String(g), '[object Gcra]')
})
