'use strict'
// Limits in Redis: the shared vectors through the scripts, one quota shared by several
// clients, keys that expire when fresh, every failure policy with the server stopped and
// restarted, and the middlewares deciding through Redis. Each run starts a redis-server of
// its own on a free loopback port (see redis_server.js).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Redis = require('ioredis')
const express = require('express')
const ratecell = require('..')
const { RedisStore, RedisUnavailableError } = require('../lib/redis.js')
const { headerKey, rateLimit } = require('../lib/express.js')
const { startServer, unavailable } = require('./redis_server')

const skip = unavailable()
const DIR = path.join(__dirname, '..', '..', '..', 'tests', 'vectors')
const NEVER = 18446744073709551615n

let server
let clients = []
/** A new client of the test server. */
function client(options) {
  const c = new Redis({ host: '127.0.0.1', port: server.port, ...options })
  clients.push(c)
  return c
}

test.before(async () => {
  if (!skip) server = await startServer()
})
test.after(async () => {
  for (const c of clients) c.disconnect()
  await server?.stop()
})

let prefixes = 0
const prefix = () => `t${process.pid}-${++prefixes}`

const ms = (v) => (BigInt(v) === NEVER ? Infinity : Number(BigInt(v)) / 1e6)
const count = (v) => (BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : BigInt(v))
const optionMs = (v) => Number(BigInt(v)) / 1e6

function build(spec) {
  const quota = () => `${BigInt(spec.limit)}/${BigInt(spec.period_ns)}ns${spec.burst === undefined ? '' : ` burst ${BigInt(spec.burst)}`}`
  switch (spec.algorithm) {
    case 'gcra': return ratecell.Gcra.parse(quota())
    case 'token_bucket': return ratecell.TokenBucket.parse(quota(), { startsEmpty: spec.starts_empty ?? false })
    case 'burst': return ratecell.Burst.parse(quota(), { burstWindowMs: optionMs(spec.burst_window_ns) })
    case 'fixed_window': return ratecell.FixedWindow.parse(quota())
    case 'sliding_window': return ratecell.SlidingWindow.parse(quota())
    case 'sliding_log': return ratecell.SlidingLog.parse(quota(), { entries: count(spec.entries ?? 64) })
    case 'credits': return new ratecell.Credits(count(spec.budget))
    case 'concurrency': return new ratecell.Concurrency(count(spec.limit), { ttlMs: optionMs(spec.ttl_ns) })
    default: throw new Error(spec.algorithm)
  }
}

function expectDecision(d, e, where) {
  assert.deepEqual(
    { allowed: d.allowed, limit: d.limit, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetAfterMs: d.resetAfterMs },
    { allowed: e.allowed, limit: Number(BigInt(e.limit)), remaining: Number(BigInt(e.remaining)), retryAfterMs: ms(e.retry_after_ns), resetAfterMs: ms(e.reset_after_ns) },
    where,
  )
  if ('refused_by' in e) assert.equal(d.refusedBy === null ? null : Number(d.refusedBy), e.refused_by, where)
}

async function replay(c, redis) {
  const clock = new ratecell.ManualClock()
  // Caller time, replayed exactly; keys outlive the replay's instants.
  const store = new RedisStore(redis, { prefix: prefix(), clock, floorMs: 600_000, timeoutMs: 5_000 })
  const limiter = c.limiter.algorithm === 'all_of'
    ? store.allOf(Object.fromEntries(c.limiter.members.map((m, i) => [String(i), build(m)])))
    : store.limiter('v', build(c.limiter))
  const leases = new Map()
  const reservations = new Map()
  for (const [i, step] of c.steps.entries()) {
    const where = `step ${i}: ${JSON.stringify(step)}`
    if (step.now_ns !== undefined) clock.setNs(BigInt(step.now_ns))
    const cost = step.costs !== undefined ? Object.fromEntries(step.costs.map((x, j) => [String(j), count(x)])) : count(step.cost ?? 0)
    if (step.error !== undefined) {
      const run = step.op === 'top_up'
        ? limiter.topUp('k', count(step.amount))
        : step.op === 'reserve' ? limiter.reserve('k', count(step.cost), { maxWaitMs: optionMs(step.max_wait_ns) }) : limiter.check('k', cost)
      await assert.rejects(run, (e) => e instanceof RangeError && e.code === `ERR_RATECELL_${step.error.toUpperCase()}`, where)
      continue
    }
    switch (step.op) {
      case 'check': expectDecision(await limiter.check('k', cost), step.expect, where); break
      case 'peek': expectDecision(await limiter.peek('k'), step.expect, where); break
      case 'reset': await limiter.reset('k'); break
      case 'top_up': assert.equal(await limiter.topUp('k', count(step.amount)), Number(BigInt(step.remaining)), where); break
      case 'acquire': {
        const d = await limiter.acquire('k')
        expectDecision(d, step.expect, where)
        assert.equal(d.lease !== null, step.granted, where)
        if (d.lease !== null) leases.set(step.lease, d.lease)
        break
      }
      case 'release': assert.equal(await leases.get(step.lease).release(), step.done, where); break
      case 'renew': assert.equal(await leases.get(step.lease).renew(), step.done, where); break
      case 'reserve': {
        const r = await limiter.reserve('k', count(step.cost), { maxWaitMs: optionMs(step.max_wait_ns) })
        assert.deepEqual([r.committed, r.readyAtNs], [step.committed, BigInt(step.ready_at_ns)], where)
        reservations.set(step.reservation, r)
        break
      }
      case 'cancel': assert.equal(await reservations.get(step.reservation).cancel(), Number(BigInt(step.returned)), where); break
      default: throw new Error(`unknown op ${step.op}`)
    }
  }
}

test('the shared vectors decide the same through Redis', { skip }, async (t) => {
  const redis = client()
  let replayed = 0
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
    for (const c of JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')).cases) {
      await t.test(`${file}: ${c.name}`, () => replay(c, redis))
      replayed++
    }
  }
  assert.ok(replayed > 20, `only ${replayed} cases`)
})

test('random traffic decides the same through Redis and in this process, field by field', { skip }, async () => {
  const redis = client()
  // A small deterministic generator: the same traffic on every run.
  let seed = 0x2545f491
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed % n
  }
  const policies = {
    gcra: (clock) => new ratecell.Gcra('7/1500ms burst 4', { clock }),
    token_bucket: (clock) => new ratecell.TokenBucket('5/second burst 3', { clock }),
    fixed_window: (clock) => new ratecell.FixedWindow('6/second', { clock }),
    sliding_window: (clock) => new ratecell.SlidingWindow('6/second', { clock }),
    sliding_log: (clock) => new ratecell.SlidingLog('5/second', { clock }),
    burst: (clock) => ratecell.Burst.parse('6/10s burst 8', { burstWindowMs: 5_000, clock }),
    credits: (clock) => new ratecell.Credits(40, { clock }),
  }
  for (const [name, make] of Object.entries(policies)) {
    const clock = new ratecell.ManualClock(1_000)
    const local = make(clock)
    const shared = new RedisStore(redis, { prefix: prefix(), clock, floorMs: 600_000 }).limiter(name, make(clock))
    for (let i = 0; i < 150; i++) {
      clock.advanceNs(BigInt(random(400_000_000)))
      const key = `k${random(3)}`
      const op = random(10)
      if (op === 0) {
        local.reset(key)
        await shared.reset(key)
        continue
      }
      const c = op === 1 ? 0 : 1 + random(local.policy.capacity === Infinity ? 9 : local.policy.capacity)
      assert.deepEqual(await shared.check(key, c), local.check(key, c), `${name}, step ${i}: ${key} cost ${c} at ${clock.nowNs()} ns`)
    }
  }
})

test('clients of one server share one quota exactly, on the server clock', { skip }, async () => {
  const p = prefix()
  const stores = [client(), client(), client()].map((r) => new RedisStore(r, { prefix: p }))
  const limiters = stores.map((s) => s.limiter('plan', new ratecell.Gcra('25/hour')))
  const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 3].check('shared-key')))
  assert.equal(decisions.filter((d) => d.allowed).length, 25)
  const refused = decisions.find((d) => !d.allowed)
  assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 144_000)
})

test('several processes sharing one quota admit exactly the quota in total', { skip }, async () => {
  const p = prefix()
  // Each process checks the same key 40 times, as fast as it can, and prints how many were admitted.
  const code = `
    const Redis = require(${JSON.stringify(require.resolve('ioredis'))})
    const { Gcra } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const { RedisStore } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'redis.js'))})
    const redis = new Redis({ host: '127.0.0.1', port: Number(process.argv[1]) })
    const limiter = new RedisStore(redis, { prefix: process.argv[2], timeoutMs: 5000 }).limiter('plan', new Gcra('50/hour'))
    Promise.all(Array.from({ length: 40 }, () => limiter.check('shared'))).then((ds) => {
      console.log(ds.filter((d) => d.allowed).length)
      redis.disconnect()
    })`
  const { spawn } = require('node:child_process')
  const run = () => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code, String(server.port), p], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (b) => { out += b })
    child.once('exit', (status) => (status === 0 ? resolve(Number(out.trim())) : reject(new Error(`worker exited with ${status}`))))
  })
  const admitted = await Promise.all([run(), run(), run(), run()])
  assert.equal(admitted.reduce((a, b) => a + b, 0), 50, `admitted per process: ${admitted}`)
})

// The Python module's interpreter, when `make test` has built it (RATECELL_PYTHON).
const PYTHON = process.env.RATECELL_PYTHON
const noPython = skip || (PYTHON === undefined || !fs.existsSync(PYTHON)
  ? 'the Python module is not built (make py-build; make test sets RATECELL_PYTHON)'
  : false)

test('Node and Python clients share one quota through the same keys', { skip: noPython }, async () => {
  const { execFileSync } = require('node:child_process')
  const p = prefix()
  const plan = new RedisStore(client(), { prefix: p }).limiter('plan', new ratecell.Gcra('10/hour'))
  for (let i = 0; i < 4; i++) assert.ok((await plan.check('shared-key')).allowed)
  // Python takes the next 6 (the quota's last) and is refused the 7th, on the same key.
  const script = [
    'import json, sys, redis, ratecell, ratecell.redis',
    'store = ratecell.redis.RedisStore(redis.Redis(port=int(sys.argv[1])), prefix=sys.argv[2])',
    'plan = store.limiter(ratecell.Gcra.parse("10/hour"), name="plan")',
    'ds = [plan.check("shared-key") for _ in range(7)]',
    'print(json.dumps([[d.allowed, d.remaining] for d in ds]))',
  ].join('\n')
  const out = execFileSync(PYTHON, ['-c', script, String(server.port), p], { encoding: 'utf8' })
  assert.deepEqual(JSON.parse(out), [[true, 5], [true, 4], [true, 3], [true, 2], [true, 1], [true, 0], [false, 0]])
  const refused = await plan.check('shared-key')
  assert.equal(refused.allowed, false, 'Node sees what Python spent')
  assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 360_000, `retry after ${refused.retryAfterMs} ms`)
})

test('a key expires when its state is fresh again, and a peek writes nothing', { skip }, async () => {
  const redis = client()
  const limiter = new RedisStore(redis, { prefix: prefix() }).limiter('free', new ratecell.Gcra('10/second'))
  await limiter.peek('idle')
  assert.equal(await redis.exists(limiter.redisKey('idle')), 0)
  const d = await limiter.check('busy', 3)
  const pttl = await redis.pttl(limiter.redisKey('busy'))
  // Fresh after resetAfterMs, and one more millisecond for Redis's millisecond clock.
  assert.ok(pttl > 0 && pttl <= Math.ceil(d.resetAfterMs) + 1, `${pttl} ms to live, reset after ${d.resetAfterMs}`)
  await limiter.reset('busy')
  assert.equal(await redis.exists(limiter.redisKey('busy')), 0)
})

test('keys are named with the prefix and a cluster hash tag per user key', { skip }, () => {
  const store = new RedisStore(client(), { prefix: 'app' })
  assert.equal(store.limiter('free', new ratecell.Gcra('1/second')).redisKey('user-42'), 'app:{user-42}:free')
})

test('with the server down each failure policy decides without waiting, and Redis is used again once it is back', { skip }, async (t) => {
  const own = await startServer()
  const redis = new Redis({ host: '127.0.0.1', port: own.port, maxRetriesPerRequest: 1, retryStrategy: () => 20 })
  clients.push(redis)
  const store = new RedisStore(redis, { prefix: prefix(), timeoutMs: 200, retryMs: 300 })
  const policy = new ratecell.Gcra('2/hour')
  const erroring = store.limiter('e', policy)
  const open = store.limiter('o', policy, { onFailure: 'open' })
  const closed = store.limiter('c', policy, { onFailure: 'closed' })
  const local = new ratecell.Gcra('1/hour')
  const fallback = store.limiter('f', policy, { onFailure: local })
  const quarter = store.limiter('q', new ratecell.Gcra('8/hour'), { onFailure: { share: 0.25 } })
  const both = store.allOf({ plan: new ratecell.Gcra('8/hour'), group: new ratecell.Gcra('40/hour') }, { onFailure: { share: 0.25 } })
  assert.equal((await erroring.check('k')).allowed, true)

  await own.stop()
  await assert.rejects(erroring.check('k'), (e) => e instanceof RedisUnavailableError && e.code === 'ERR_RATECELL_REDIS_UNAVAILABLE')
  const started = performance.now()
  // The circuit is open: no call waits for a timeout.
  assert.deepEqual(await open.check('k'), { allowed: true, limit: 2, remaining: 2, retryAfterMs: 0, resetAfterMs: 0 })
  const refused = await closed.check('k')
  assert.equal(refused.allowed, false)
  assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 300)
  assert.equal((await fallback.check('k')).allowed, true)
  assert.equal((await fallback.check('k')).allowed, false, 'the local limiter has its own, smaller quota')
  const shared = [await quarter.check('k'), await quarter.check('k'), await quarter.check('k')]
  assert.deepEqual(shared.map((d) => [d.allowed, d.limit]), [[true, 2], [true, 2], [false, 2]], 'a quarter of 8')
  const joint = [await both.check('k'), await both.check('k'), await both.check('k')]
  assert.deepEqual(joint.map((d) => [d.allowed, d.refusedBy]), [[true, null], [true, null], [false, 'plan']])
  for (let i = 0; i < 100; i++) await assert.rejects(erroring.check('k'), RedisUnavailableError)
  assert.ok(performance.now() - started < 150, 'an outage costs no timeouts')

  const back = await startServer(own.port)
  t.after(() => back.stop())
  // Reconnected and past retryMs, Redis decides again (its state starts fresh: the server
  // kept nothing).
  let d
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50))
    try {
      d = await erroring.check('k')
      break
    } catch (e) {
      assert.ok(e instanceof RedisUnavailableError)
    }
  }
  assert.equal(d?.remaining, 1)
  assert.equal((await closed.check('k')).remaining, 1)
})

test('the Express middleware enforces a limit kept in Redis', { skip }, async (t) => {
  const store = new RedisStore(client(), { prefix: prefix() })
  const app = express()
  app.use(rateLimit({ limiter: store.limiter('free', new ratecell.Gcra('2/minute')), key: headerKey('X-API-Key'), headerStyle: 'legacy' }))
  app.get('/', (req, res) => res.send('ok'))
  const s = await new Promise((resolve) => { const x = app.listen(0, '127.0.0.1', () => resolve(x)) })
  t.after(() => new Promise((resolve) => { s.close(resolve); s.closeAllConnections() }))
  const url = `http://127.0.0.1:${s.address().port}/`
  const get = () => fetch(url, { headers: { 'x-api-key': 'alice' } })
  assert.equal((await get()).status, 200)
  const second = await get()
  assert.equal(second.headers.get('x-ratelimit-remaining'), '0')
  const refused = await get()
  assert.equal(refused.status, 429)
  assert.equal((await refused.json()).error.code, 'rate_limit_exceeded')
  assert.equal(refused.headers.get('retry-after'), '30')
})

test('a concurrency cap kept in Redis is held while the response runs and released when it finishes', { skip }, async (t) => {
  const store = new RedisStore(client(), { prefix: prefix() })
  const sessions = store.limiter('sessions', new ratecell.Concurrency(1, { ttlMs: 60_000 }))
  let finish
  const app = express()
  app.use(rateLimit({ concurrency: sessions, key: () => 'one' }))
  app.get('/slow', (req, res) => { finish = () => res.send('slow done') })
  app.get('/fast', (req, res) => res.send('fast'))
  const s = await new Promise((resolve) => { const x = app.listen(0, '127.0.0.1', () => resolve(x)) })
  t.after(() => new Promise((resolve) => { s.close(resolve); s.closeAllConnections() }))
  const base = `http://127.0.0.1:${s.address().port}`
  const slow = fetch(`${base}/slow`)
  while (finish === undefined) await new Promise((r) => setTimeout(r, 1))
  assert.equal((await sessions.peek('one')).remaining, 0)
  const refused = await fetch(`${base}/fast`)
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('ratelimit-policy'), '"default";q=1;qu="concurrent-requests"')
  finish()
  assert.equal(await (await slow).text(), 'slow done')
  // The release is one more round trip after the response.
  for (let i = 0; i < 100 && (await sessions.peek('one')).remaining === 0; i++) await new Promise((r) => setTimeout(r, 5))
  assert.equal((await fetch(`${base}/fast`)).status, 200)
})

test('the Fastify plugin enforces an all-or-nothing limit kept in Redis', { skip }, async (t) => {
  const Fastify = require('fastify')
  const store = new RedisStore(client(), { prefix: prefix() })
  const api = store.allOf({ plan: new ratecell.Gcra('10/minute'), analysis: new ratecell.Gcra('1/minute') })
  const app = Fastify({ forceCloseConnections: true })
  await app.register(require('../lib/fastify.js'), { limiter: api, key: () => 'k' })
  app.post('/v1/analysis', async () => 'done')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => app.close())
  const url = `http://127.0.0.1:${app.server.address().port}/v1/analysis`
  assert.equal((await fetch(url, { method: 'POST' })).status, 200)
  const refused = await fetch(url, { method: 'POST' })
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('ratelimit-policy'), '"default";q=1;w=60')
})

test('bad keys and costs reject with the codes of the in-process limiters and touch nothing', { skip }, async () => {
  const limiter = new RedisStore(client(), { prefix: prefix() }).limiter('free', new ratecell.Gcra('5/second'))
  const rejects = (promise, cls, code) => assert.rejects(promise, (e) => e instanceof cls && e.code === code)
  await rejects(limiter.check(5), TypeError, 'ERR_RATECELL_INVALID_ARG_TYPE')
  await rejects(limiter.check('k', 'one'), TypeError, 'ERR_RATECELL_INVALID_ARG_TYPE')
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) await rejects(limiter.check('k', bad), RangeError, 'ERR_RATECELL_INVALID_ARG_VALUE')
  await rejects(limiter.check('k', 6), RangeError, 'ERR_RATECELL_INSUFFICIENT_CAPACITY')
  await rejects(limiter.topUp('k', 1), TypeError, 'ERR_RATECELL_INVALID_ARG_TYPE')
  await rejects(limiter.reserve('k', 1), TypeError, 'ERR_RATECELL_INVALID_ARG_TYPE')
  await rejects(limiter.acquire('k'), TypeError, 'ERR_RATECELL_INVALID_ARG_TYPE')
  assert.equal((await limiter.peek('k')).remaining, 5)
})

test('Redis limiter arguments are checked', { skip }, () => {
  const store = new RedisStore(client())
  const g = new ratecell.Gcra('1/second')
  assert.throws(() => new RedisStore({}), TypeError)
  assert.throws(() => new RedisStore(client(), { timeoutMs: -1 }), RangeError)
  assert.throws(() => new RedisStore(client(), { prefix: 'a{b}' }), RangeError)
  assert.throws(() => new RedisStore(client(), { clock: Date }), TypeError)
  assert.throws(() => store.limiter('', g), TypeError)
  assert.throws(() => store.limiter('x', {}), TypeError)
  assert.throws(() => store.limiter('x', g, { onFailure: 'maybe' }), RangeError)
  for (const share of [0, -0.5, 1.5, NaN]) assert.throws(() => store.limiter('x', g, { onFailure: { share } }), RangeError)
  assert.throws(() => store.limiter('x', g, { onFailure: { share: '1/4' } }), TypeError)
  assert.throws(() => store.limiter('x', new ratecell.Concurrency(2, { ttlMs: 1000 }), { onFailure: { share: 0.5 } }), TypeError)
  assert.throws(() => store.allOf([g]), TypeError)
  assert.throws(() => store.limiter('x', new ratecell.AllOf([g])), TypeError)
})
