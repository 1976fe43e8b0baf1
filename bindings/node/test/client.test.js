'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { Backoff, Gcra, Pacer, RetryPolicy, fetchWithRetry, rateLimitBody } = require('..')
const { TYPE, VALUE, throwsCode } = require('./helpers')

test('backoff doubles from the base up to the cap, and full jitter stays below it', () => {
  const b = new Backoff({ baseMs: 100, capMs: 500, jitter: 'none' })
  assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 500])
  b.reset()
  assert.equal(b.next(), 100)
  const j = new Backoff({ baseMs: 100, capMs: 500, seed: 7 })
  for (let i = 0; i < 50; i++) {
    const w = j.next()
    assert.ok(w >= 0 && w <= 500)
  }
  const again = new Backoff({ baseMs: 100, capMs: 500, seed: 7 })
  const first = new Backoff({ baseMs: 100, capMs: 500, seed: 7 })
  assert.equal(again.next(), first.next(), 'a seed makes the draws repeatable')
})

test('the retry policy waits for Retry-After, never retries 402 and gives up after maxAttempts', () => {
  const seq = new RetryPolicy({ jitter: 'none', maxAttempts: 3 }).start({ atMs: 0 })
  assert.deepEqual(seq.decide({ status: 429, headers: { 'Retry-After': '2' } }, { atMs: 0 }), { action: 'retry', afterMs: 2000 })
  assert.deepEqual(seq.decide(503, { atMs: 2000 }), { action: 'retry', afterMs: 200 })
  assert.deepEqual(seq.decide(503, { atMs: 2200 }), { action: 'give-up', reason: 'attempts' })
  const other = new RetryPolicy().start()
  assert.deepEqual(other.decide(402), { action: 'top-up-credits' })
  assert.deepEqual(new RetryPolicy().start().decide(200), { action: 'stop' })
})

test('the pacer spreads the remaining requests over the time to reset', () => {
  const p = new Pacer()
  assert.equal(p.delayMs({ limit: 100, remaining: 50, resetMs: 10_000 }, { nowMs: 0 }), 0)
  assert.equal(p.delayMs({ limit: 100, remaining: 10, resetMs: 10_000 }, { nowMs: 0 }), 1000)
  assert.equal(p.delayMs({ limit: 100, remaining: 0, resetMs: 10_000 }, { nowMs: 0 }), 10_000)
})

test('client options are checked', () => {
  throwsCode(() => new Backoff({ jitter: 'some' }), RangeError, VALUE)
  throwsCode(() => new Backoff({ baseMs: -1 }), RangeError, VALUE)
  throwsCode(() => new Backoff({ seed: 'x' }), TypeError, TYPE)
  throwsCode(() => new RetryPolicy({ maxAttempts: 0 }), RangeError, VALUE)
  throwsCode(() => new Pacer({ lowWaterPercent: 101 }), RangeError, VALUE)
  throwsCode(() => new Pacer().delayMs(null), TypeError, TYPE)
})

test('fetchWithRetry retries a rate-limited server after its Retry-After and returns the success', async (t) => {
  const limiter = new Gcra('20/second burst 1')
  let hits = 0
  const server = http.createServer((req, res) => {
    hits++
    const d = limiter.check()
    if (!d.allowed) {
      res.writeHead(429, { ...limiter.headers(d, 'legacy'), 'content-type': 'application/json' })
      res.end(rateLimitBody(d))
      return
    }
    res.end('ok')
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${server.address().port}/`
  assert.equal((await fetch(url)).status, 200)
  const retried = []
  const res = await fetchWithRetry(url, undefined, {
    retry: new RetryPolicy({ baseMs: 1, jitter: 'none' }),
    pacer: new Pacer(),
    onRetry: (r, wait) => retried.push([r.status, wait]),
  })
  assert.equal(res.status, 200)
  assert.equal(await res.text(), 'ok')
  assert.equal(retried.length, 1)
  assert.equal(retried[0][0], 429)
  assert.ok(retried[0][1] >= 1000, 'Retry-After is whole seconds, rounded up')
  assert.equal(hits, 3)
})

test('fetchWithRetry answers a 402 at once', async () => {
  let calls = 0
  const res = await fetchWithRetry('http://example.invalid/', undefined, {
    fetch: async () => { calls++; return new Response('{}', { status: 402 }) },
  })
  assert.equal(res.status, 402)
  assert.equal(calls, 1)
})
