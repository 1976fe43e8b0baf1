'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { AllOf, Concurrency, Credits, Gcra, ManualClock, SlidingLog } = require('..')
const { CAPACITY, TYPE, VALUE, throwsCode } = require('./helpers')

test('a request is recorded by every member or by none', () => {
  const clock = new ManualClock()
  const plan = new Gcra('60/minute', { clock })
  const analysis = new Gcra('30/minute', { clock })
  const api = new AllOf({ plan, analysis }, { clock })
  for (let i = 0; i < 30; i++) assert.equal(api.check('key').allowed, true)
  const d = api.check('key')
  assert.equal(d.allowed, false)
  assert.equal(d.refusedBy, 'analysis')
  assert.equal(d.retryAfterMs, 2000)
  assert.equal(plan.peek('key').remaining, 30, 'the refused request charged nobody')
})

test('a member shared by two combinations counts both', () => {
  const clock = new ManualClock()
  const plan = new Gcra('120/minute', { clock })
  const analysis = new AllOf([plan, new Gcra('30/minute', { clock })])
  const sessions = new AllOf([plan, new Gcra('120/minute', { clock })])
  for (let i = 0; i < 30; i++) analysis.check('k')
  const d = sessions.check('k')
  assert.equal(d.remaining, 89)
  assert.equal(d.refusedBy, null)
})

test('each member may have its own cost, and a cost of zero leaves it unchanged', () => {
  const clock = new ManualClock()
  const messages = new Gcra('100/second', { clock })
  const bytes = new Gcra('32000/second', { clock })
  const socket = new AllOf({ messages, bytes })
  assert.equal(socket.check('s', { messages: 1, bytes: 16_000 }).allowed, true)
  assert.equal(socket.check('s', [1, 16_000]).allowed, true)
  const d = socket.check('s', { messages: 1, bytes: 1000 })
  assert.equal(d.refusedBy, 'bytes')
  assert.equal(d.retryAfterMs, 31.25)
  assert.equal(socket.check('s', { messages: 1, bytes: 0 }).allowed, true)
  assert.equal(socket.peek('s').refusedBy, null)
})

test('an AllOf refuses what cannot be combined', () => {
  const g = new Gcra('1/second')
  throwsCode(() => new AllOf([]), RangeError, VALUE)
  throwsCode(() => new AllOf([g, g]), RangeError, VALUE)
  throwsCode(() => new AllOf([g, {}]), TypeError, TYPE)
  throwsCode(() => new AllOf('g'), TypeError, TYPE)
  throwsCode(() => new AllOf([g, new SlidingLog('1/second')]), TypeError, TYPE)
  throwsCode(() => new AllOf([g, new Concurrency(1, { ttlMs: 1 })]), TypeError, TYPE)
  throwsCode(() => new AllOf([g, new Gcra('1/second', { clock: new ManualClock() })]), RangeError, VALUE)
  throwsCode(() => new AllOf([g], { clock: new ManualClock() }), TypeError, TYPE)
  const a = new AllOf({ g, c: new Credits(5) })
  throwsCode(() => a.check('k', { nope: 1 }), RangeError, VALUE)
  throwsCode(() => a.check('k', [1]), RangeError, VALUE)
  throwsCode(() => a.check('k', [1, -1]), RangeError, VALUE)
  throwsCode(() => a.check('k', 2), RangeError, CAPACITY)
  assert.equal(g.size, 0)
})

test('response fields list every member with its own standing, credits as a balance', () => {
  const clock = new ManualClock()
  const plan = new Gcra('60/minute', { clock })
  const api = new AllOf({ plan, analysis: new Gcra('1/minute', { clock }) })
  const first = api.check('k')
  assert.deepEqual(first.members.map((m) => m.remaining), [59, 0])
  assert.deepEqual(api.headers(first, 'ietf', { nowMs: 0 }), {
    'RateLimit-Policy': '"plan";q=60;w=60, "analysis";q=1;w=60',
    RateLimit: '"plan";r=59;t=1, "analysis";r=0;t=60',
  })
  const refused = api.check('k')
  assert.equal(refused.refusedBy, 'analysis')
  assert.deepEqual(refused.members.map((m) => m.allowed), [true, false])
  assert.deepEqual(api.headers(refused, 'draft-8', { nowMs: 0 }), {
    'RateLimit-Policy': '"plan"; q=60; w=60, "analysis"; q=1; w=60',
    RateLimit: '"plan"; r=59; t=1, "analysis"; r=0; t=60',
    'Retry-After': '60',
  })
  // The single-policy styles report the member that binds: here the one that refused.
  assert.deepEqual(api.headers(refused, 'legacy', { nowMs: 1_000 }), {
    'X-RateLimit-Limit': '1',
    'X-RateLimit-Remaining': '0',
    'X-RateLimit-Reset': '61',
    'Retry-After': '60',
  })
  assert.deepEqual(api.peek('k').members.map((m) => m.remaining), [59, 0])
  const billed = new AllOf({ plan: new Gcra('60/minute', { clock }), credits: new Credits(10, { clock }) })
  const d = billed.check('k', { plan: 1, credits: 4 })
  assert.deepEqual(billed.headers(d, 'ietf', { nowMs: 0 }), {
    'RateLimit-Policy': '"plan";q=60;w=60',
    RateLimit: '"plan";r=59;t=1',
    'X-API-Credits-Remaining': '6',
    'X-API-Credits-Used': '4',
  })
  // A decision built by hand has no member standings: the binding member stands for all.
  const { members, ...bare } = refused
  assert.equal(members.length, 2)
  assert.deepEqual(api.headers(bare, 'ietf', { nowMs: 0 }), {
    'RateLimit-Policy': '"default";q=1;w=60',
    RateLimit: '"default";r=0;t=60',
    'Retry-After': '60',
  })
})

