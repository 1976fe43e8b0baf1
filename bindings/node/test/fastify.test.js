'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const Fastify = require('fastify')
const { Concurrency, Credits, Gcra, ManualClock } = require('..')
const ratecell = require('../lib/fastify.js')
const { headerKey } = ratecell

/** A Fastify instance with the plugin registered with `options`, routes added by `routes`, listening on loopback. */
async function serve(t, options, routes) {
  const app = Fastify({ forceCloseConnections: true })
  await app.register(ratecell, options)
  routes(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => app.close())
  return `http://127.0.0.1:${app.server.address().port}`
}

const key = (k, init = {}) => ({ ...init, headers: { 'x-api-key': k } })

test('the plugin limits every route per API key and answers 429 in the published shape', async (t) => {
  const clock = new ManualClock()
  const base = await serve(t, { limiter: new Gcra('2/minute', { clock }), key: headerKey('X-API-Key') }, (app) => {
    app.get('/v1/sessions', async () => ({ ok: true }))
  })
  const url = `${base}/v1/sessions`
  const first = await fetch(url, key('alice'))
  assert.equal(first.status, 200)
  assert.equal(first.headers.get('ratelimit-policy'), '"default";q=2;w=60')
  assert.equal(first.headers.get('ratelimit'), '"default";r=1;t=30')
  assert.equal((await fetch(url, key('alice'))).status, 200)
  const refused = await fetch(url, key('alice'))
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('retry-after'), '30')
  assert.match(refused.headers.get('content-type'), /application\/json/)
  const body = await refused.json()
  assert.equal(body.error.code, 'rate_limit_exceeded')
  assert.equal(body.error.type, 'rate_limit_error')
  assert.equal(body.error.details.limit, 2)
  assert.equal((await fetch(url, key('bob'))).status, 200)
  clock.advance(30_000)
  assert.equal((await fetch(url, key('alice'))).status, 200)
})

test('a route gives its own limit in its config, or opts out', async (t) => {
  const clock = new ManualClock()
  const plan = new Gcra('60/minute', { clock })
  const analysis = new Gcra('1/minute', { clock })
  const base = await serve(t, { limiter: plan, key: headerKey('X-API-Key'), headerStyle: 'legacy' }, (app) => {
    app.post('/v1/analysis', { config: { ratecell: { limiter: analysis, cost: 1 } } }, async () => 'analysed')
    app.get('/health', { config: { ratecell: false } }, async () => 'up')
    app.get('/v1/sessions', async () => 'sessions')
  })
  assert.equal((await fetch(`${base}/v1/analysis`, key('k', { method: 'POST' }))).status, 200)
  const refused = await fetch(`${base}/v1/analysis`, key('k', { method: 'POST' }))
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('x-ratelimit-limit'), '1')
  const health = await fetch(`${base}/health`, key('k'))
  assert.equal(health.status, 200)
  assert.equal(health.headers.get('x-ratelimit-limit'), null)
  const sessions = await fetch(`${base}/v1/sessions`, key('k'))
  assert.equal(sessions.headers.get('x-ratelimit-remaining'), '59', 'the plan saw only this request')
})

test('a route config that is not a rule is refused when the route is declared', async () => {
  const app = Fastify()
  await app.register(ratecell, { limiter: new Gcra('1/second') })
  assert.throws(() => app.get('/x', { config: { ratecell: { limiter: 'fast' } } }, async () => 'x'), TypeError)
  await app.close()
})

test('running out of credits answers 402 with insufficient_api_credits', async (t) => {
  const credits = new Credits(1000)
  const base = await serve(t, { limiter: credits, cost: 588, key: headerKey('X-API-Key') }, (app) => {
    app.post('/v1/analysis', async () => 'done')
  })
  const url = `${base}/v1/analysis`
  assert.equal((await fetch(url, key('k', { method: 'POST' }))).status, 200)
  const refused = await fetch(url, key('k', { method: 'POST' }))
  assert.equal(refused.status, 402)
  const body = await refused.json()
  assert.equal(body.error.code, 'insufficient_api_credits')
  assert.equal(body.error.type, 'permission_error')
})

test('a concurrency slot is held while the reply runs and released when it finishes', async (t) => {
  const sessions = new Concurrency(1, { ttlMs: 60_000 })
  let finish
  const base = await serve(t, { concurrency: sessions, key: () => 'one' }, (app) => {
    app.get('/slow', () => new Promise((resolve) => { finish = () => resolve('slow done') }))
    app.get('/fast', async () => 'fast')
  })
  const slow = fetch(`${base}/slow`)
  while (finish === undefined) await new Promise((r) => setTimeout(r, 1))
  assert.equal(sessions.peek('one').remaining, 0)
  const refused = await fetch(`${base}/fast`)
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('ratelimit-policy'), '"default";q=1;qu="concurrent-requests"')
  finish()
  assert.equal(await (await slow).text(), 'slow done')
  assert.equal((await fetch(`${base}/fast`)).status, 200)
  assert.equal(sessions.peek('one').remaining, 1)
})

test('a concurrency slot comes back when the client goes away before the reply', async (t) => {
  const sessions = new Concurrency(1, { ttlMs: 60_000 })
  let arrived
  const reached = new Promise((resolve) => { arrived = resolve })
  const base = await serve(t, { concurrency: sessions, key: () => 'one' }, (app) => {
    app.get('/hang', (request, reply) => { arrived(reply.raw); return new Promise(() => {}) })
  })
  const abort = new AbortController()
  const hung = fetch(`${base}/hang`, { signal: abort.signal }).catch((e) => e)
  const raw = await reached
  assert.equal(sessions.peek('one').remaining, 0)
  const closed = new Promise((resolve) => raw.once('close', resolve))
  abort.abort()
  await hung
  await closed
  assert.equal(sessions.peek('one').remaining, 1)
})

test('a cost above the capacity is a server error, not a crash', async (t) => {
  const base = await serve(t, { limiter: new Gcra('5/second'), cost: 6 }, (app) => {
    app.get('/', async () => 'never')
  })
  const res = await fetch(base)
  assert.equal(res.status, 500)
})
