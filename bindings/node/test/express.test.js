'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const express = require('express')
const { AllOf, Concurrency, Credits, Gcra, ManualClock } = require('..')
const { Limits, headerKey, rateLimit } = require('../lib/express.js')
const { TYPE, VALUE, throwsCode } = require('./helpers')

/** Serves `app` on a loopback port for the test; its base URL. */
async function serve(t, app) {
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  t.after(() => new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  }))
  return `http://127.0.0.1:${server.address().port}`
}

const key = (k) => ({ headers: { 'x-api-key': k } })

test('requests are limited per API key, and a refusal is a 429 in the published shape', async (t) => {
  const clock = new ManualClock()
  const app = express()
  app.use(rateLimit({ limiter: new Gcra('2/minute', { clock }), key: headerKey('X-API-Key'), headerStyle: 'legacy' }))
  app.get('/v1/sessions', (req, res) => res.json({ ok: true }))
  const url = `${await serve(t, app)}/v1/sessions`
  const first = await fetch(url, key('alice'))
  assert.equal(first.status, 200)
  assert.equal(first.headers.get('x-ratelimit-limit'), '2')
  assert.equal(first.headers.get('x-ratelimit-remaining'), '1')
  assert.equal((await fetch(url, key('alice'))).status, 200)
  const refused = await fetch(url, key('alice'))
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('retry-after'), '30')
  assert.equal(refused.headers.get('x-ratelimit-remaining'), '0')
  assert.match(refused.headers.get('content-type'), /application\/json/)
  const body = await refused.json()
  assert.equal(body.error.code, 'rate_limit_exceeded')
  assert.equal(body.error.type, 'rate_limit_error')
  assert.match(body.error.message, /retry after 30 seconds/)
  assert.equal(body.error.details.limit, 2)
  assert.equal((await fetch(url, key('bob'))).status, 200, 'another key has its own limit')
  clock.advance(30_000)
  assert.equal((await fetch(url, key('alice'))).status, 200, 'admitted again after Retry-After')
})

test('per-route rules apply the first matching limit and leave other routes alone', async (t) => {
  const clock = new ManualClock()
  const plan = new Gcra('60/minute', { clock })
  const analysis = new AllOf({ plan, analysis: new Gcra('1/minute', { clock }) })
  const app = express()
  app.use(rateLimit({
    rules: [
      { limiter: analysis, path: '/v1/analysis', methods: ['POST'] },
      { limiter: plan, path: '/v1' },
    ],
    key: headerKey('X-API-Key'),
  }))
  app.all('/{*rest}', (req, res) => res.send('ok'))
  const base = await serve(t, app)
  const post = { method: 'POST', ...key('k') }
  assert.equal((await fetch(`${base}/v1/analysis`, post)).status, 200)
  const refused = await fetch(`${base}/v1/analysis/sess_1`, post)
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('ratelimit-policy'), '"plan";q=60;w=60, "analysis";q=1;w=60', 'every member is advertised')
  assert.equal(refused.headers.get('ratelimit'), '"plan";r=59;t=1, "analysis";r=0;t=60', 'each with its own standing')
  assert.equal((await fetch(`${base}/v1/analysis`, key('k'))).status, 200, 'GET is under the plan rule only')
  assert.equal((await fetch(`${base}/v1/analysisx`, post)).status, 200, 'a prefix matches whole segments')
  const health = await fetch(`${base}/health`, key('k'))
  assert.equal(health.status, 200)
  assert.equal(health.headers.get('ratelimit'), null, 'no rule, no fields')
  assert.equal(plan.peek('k').remaining, 57, 'the plan counted three requests: the refused one changed nothing')
})

test('a limit mounted on one route with a cost function charges that route only', async (t) => {
  const clock = new ManualClock()
  const bytes = new Gcra({ limit: 1000, periodMs: 1000, clock })
  const app = express()
  app.post('/upload', rateLimit({ limiter: bytes, cost: (req) => Number(req.headers['content-length']), headerStyle: 'draft-7' }), (req, res) => res.send('stored'))
  app.get('/free', (req, res) => res.send('free'))
  const base = await serve(t, app)
  const upload = (n) => fetch(`${base}/upload`, { method: 'POST', body: 'x'.repeat(n) })
  const ok = await upload(600)
  assert.equal(ok.status, 200)
  assert.equal(ok.headers.get('ratelimit'), 'limit=1000, remaining=400, reset=1')
  assert.equal((await upload(600)).status, 429)
  assert.equal((await fetch(`${base}/free`)).status, 200)
  assert.equal((await upload(2000)).status, 500, 'a cost above the capacity is an error, passed to next')
})

test('running out of credits answers 402 with insufficient_api_credits', async (t) => {
  const credits = new Credits(1000)
  const app = express()
  app.use(rateLimit({ limiter: credits, cost: 588, key: headerKey('X-API-Key') }))
  app.post('/v1/analysis', (req, res) => res.send('done'))
  const url = `${await serve(t, app)}/v1/analysis`
  const first = await fetch(url, { method: 'POST', ...key('k') })
  assert.equal(first.status, 200)
  assert.equal(first.headers.get('x-api-credits-remaining'), '412')
  assert.equal(first.headers.get('x-api-credits-used'), '588')
  const refused = await fetch(url, { method: 'POST', ...key('k') })
  assert.equal(refused.status, 402)
  assert.equal(refused.headers.get('retry-after'), null, 'no wait helps')
  const body = await refused.json()
  assert.equal(body.error.code, 'insufficient_api_credits')
  assert.equal(body.error.type, 'permission_error')
  credits.topUp('k', 500)
  assert.equal((await fetch(url, { method: 'POST', ...key('k') })).status, 200)
})

test('a concurrency slot is held while the response runs and released when it finishes', async (t) => {
  const sessions = new Concurrency(1, { ttlMs: 60_000 })
  let finish
  const app = express()
  app.use(rateLimit({ concurrency: sessions, key: () => 'one', headerStyle: null, message: 'One session at a time.' }))
  app.get('/slow', (req, res) => { finish = () => res.send('slow done') })
  app.get('/fast', (req, res) => res.send('fast'))
  const base = await serve(t, app)
  const slow = fetch(`${base}/slow`)
  while (finish === undefined) await new Promise((r) => setTimeout(r, 1))
  const refused = await fetch(`${base}/fast`)
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('ratelimit'), null, 'headerStyle null sends no RateLimit fields')
  assert.equal((await refused.json()).error.message, 'One session at a time.')
  finish()
  assert.equal(await (await slow).text(), 'slow done')
  assert.equal((await fetch(`${base}/fast`)).status, 200, 'the slot came back when the response finished')
  assert.equal(sessions.peek('one').remaining, 1)
})

test('a concurrency slot comes back when the client goes away before the response', async (t) => {
  const sessions = new Concurrency(1, { ttlMs: 60_000 })
  let arrived
  const gone = new Promise((resolve) => { arrived = resolve })
  const app = express()
  app.use(rateLimit({ concurrency: sessions, key: () => 'one' }))
  app.get('/hang', (req, res) => arrived(res))
  const base = await serve(t, app)
  const abort = new AbortController()
  const hung = fetch(`${base}/hang`, { signal: abort.signal }).catch((e) => e)
  const res = await gone
  assert.equal(sessions.peek('one').remaining, 0)
  const closed = new Promise((resolve) => res.once('close', resolve))
  abort.abort()
  await hung
  await closed
  assert.equal(sessions.peek('one').remaining, 1)
})

test('the middleware refuses bad options before any request', () => {
  throwsCode(() => rateLimit(), TypeError, TYPE)
  throwsCode(() => rateLimit({ limiter: {} }), TypeError, TYPE)
  throwsCode(() => rateLimit({ limiter: new Gcra('1/second'), rules: [] }), TypeError, TYPE)
  throwsCode(() => rateLimit({ limiter: new Gcra('1/second'), headerStyle: 'fancy' }), RangeError, VALUE)
  throwsCode(() => rateLimit({ limiter: new Gcra('1/second'), cost: -1 }), RangeError, VALUE)
  throwsCode(() => rateLimit({ limiter: new Gcra('1/second'), key: 'x-api-key' }), TypeError, TYPE)
  throwsCode(() => rateLimit({ rules: [{ limiter: new Gcra('1/second'), path: 'v1' }] }), TypeError, TYPE)
  throwsCode(() => rateLimit({ concurrency: new Gcra('1/second') }), TypeError, TYPE)
  throwsCode(() => rateLimit({ limits: new Limits({ limiter: new Gcra('1/second') }), key: () => 'k' }), TypeError, TYPE)
})
