'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Gcra, ManualClock } = require('..')
const { TYPE, VALUE, throwsCode } = require('./helpers')

test('a manual clock starts at zero and moves only when told', () => {
  const clock = new ManualClock()
  assert.equal(clock.nowMs, 0)
  assert.equal(clock.advance(1.5), 1.5)
  assert.equal(clock.nowNs(), 1_500_000n)
  clock.setNs(7n)
  assert.equal(clock.nowNs(), 7n)
})

test('a clock stepping backwards never admits extra', () => {
  const clock = new ManualClock(10_000)
  const g = new Gcra('1/second', { clock })
  assert.equal(g.check().allowed, true)
  clock.set(0)
  assert.equal(g.check().allowed, false)
  clock.set(10_999)
  assert.equal(g.check().allowed, false)
  clock.set(11_000)
  assert.equal(g.check().allowed, true)
})

test('acquire waits on the manual clock until admitted, without polling', async () => {
  const clock = new ManualClock()
  const g = new Gcra('1/second', { clock })
  g.check()
  let done = false
  const waiting = g.acquire(undefined).then((d) => { done = true; return d })
  await new Promise((r) => setImmediate(r))
  assert.equal(done, false)
  clock.advance(999)
  await new Promise((r) => setImmediate(r))
  assert.equal(done, false)
  clock.advance(1)
  const d = await waiting
  assert.equal(d.allowed, true)
})

test('acquire resolves with the denial when the timeout would pass first', async () => {
  const g = new Gcra('1/minute', { clock: new ManualClock() })
  g.check()
  const d = await g.acquire(undefined, { timeoutMs: 1000 })
  assert.equal(d.allowed, false)
  assert.equal(d.retryAfterMs, 60_000)
})

test('acquire on the monotonic clock sleeps exactly retryAfterMs', async () => {
  const g = new Gcra('20/second burst 1')
  g.check('k')
  const started = performance.now()
  const d = await g.acquire('k')
  assert.equal(d.allowed, true)
  assert.ok(performance.now() - started >= 45)
})

test('acquire rejects with the signal reason when aborted, and records nothing', async () => {
  const clock = new ManualClock()
  const g = new Gcra('1/second', { clock })
  g.check('k')
  const controller = new AbortController()
  const waiting = g.acquire('k', { signal: controller.signal })
  controller.abort(new Error('gone'))
  await assert.rejects(waiting, /gone/)
  await assert.rejects(g.acquire('k', { signal: AbortSignal.abort() }), { name: 'AbortError' })
  clock.advance(1000)
  assert.equal(g.peek('k').remaining, 1)
})

test('acquire checks its options before waiting', async () => {
  const g = new Gcra('1/second')
  await assert.rejects(g.acquire('k', { timeoutMs: -1 }), { code: VALUE })
  await assert.rejects(g.acquire('k', { signal: 'x' }), { code: TYPE })
  await assert.rejects(g.acquire('k', { costs: 1 }), { code: TYPE })
  await assert.rejects(g.acquire('k', 5), { code: TYPE })
})

test('manual clock arguments are checked', () => {
  const clock = new ManualClock()
  for (const bad of [-1, NaN, Infinity, 1e300]) throwsCode(() => clock.advance(bad), RangeError, VALUE)
  throwsCode(() => clock.advance('1'), TypeError, TYPE)
  throwsCode(() => clock.advanceNs(1), TypeError, TYPE)
  throwsCode(() => new Gcra('1/second', { clock: {} }), TypeError, TYPE)
  assert.equal(clock.nowMs, 0)
})
