'use strict'
// The client side: backoff with jitter, the retry policy, the pacer, and fetchWithRetry,
// which puts them together around fetch. The arithmetic is the core's (src/client.rs).

const { native } = require('./native')
const { expect, milliseconds, options: optionsObject, rangeError, whole } = require('./error')
const { fieldPairs, parseRateLimitHeaders } = require('./http')
const { monotonic } = require('./time')

/** A seed as a bigint: the given number or bigint, or random bits. */
function seedOption(seed) {
  if (seed === undefined) {
    const words = new BigUint64Array(1)
    globalThis.crypto.getRandomValues(words)
    return words[0]
  }
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed)
  return BigInt(whole(seed, 'seed'))
}

const JITTERS = ['none', 'full', 'equal', 'decorrelated']

function backoffOptions(o) {
  const baseMs = milliseconds(o.baseMs ?? 100, 'baseMs')
  const capMs = milliseconds(o.capMs ?? 10_000, 'capMs')
  const jitter = o.jitter ?? 'full'
  expect(typeof jitter === 'string', 'jitter', 'a string', jitter)
  if (!JITTERS.includes(jitter)) throw rangeError(`jitter must be one of ${JITTERS.join(', ')}, got ${JSON.stringify(jitter)}`)
  return { baseMs, capMs, jitter }
}

/**
 * Capped exponential backoff: waits from `baseMs` (default 100), doubling per attempt, up to
 * `capMs` (default 10,000), drawn with `jitter` (`none`, `full` (default), `equal`,
 * `decorrelated`) from a generator seeded with `seed` (random by default).
 */
class Backoff {
  #native

  constructor(options) {
    const o = optionsObject(options)
    const { baseMs, capMs, jitter } = backoffOptions(o)
    this.#native = new native.NativeBackoff(baseMs, capMs, jitter, seedOption(o.seed))
  }

  /** The next wait, in milliseconds. */
  next() {
    return this.#native.next()
  }

  /** Waits handed out since the start (or the last reset). */
  get attempt() {
    return this.#native.attempt
  }

  /** Starts over from the base. */
  reset() {
    this.#native.reset()
  }
}

/** An attempt's outcome: a response-like `{ status, headers }`, a status number, or an Error (no response). */
function outcome(result, nowMs) {
  if (result instanceof Error) return { status: -1, retryAfterMs: undefined }
  if (typeof result === 'number') return { status: whole(result, 'status'), retryAfterMs: undefined }
  expect(typeof result === 'object' && result !== null, 'outcome', 'a response, a status or an Error', result)
  const status = whole(result.status, 'status')
  const info = result.headers === undefined ? {} : parseRateLimitHeaders(result.headers, { nowMs })
  return { status, retryAfterMs: info.retryAfterMs }
}

/** One request's retries under a RetryPolicy. */
class RetrySequence {
  #native

  constructor(n) {
    this.#native = n
  }

  /**
   * What to do after an attempt: `{ action: 'retry', afterMs }` (429, 5xx, no response;
   * at least the `Retry-After`), `{ action: 'stop' }` (a final response),
   * `{ action: 'top-up-credits' }` (402: no wait helps) or
   * `{ action: 'give-up', reason: 'attempts' | 'deadline' }`.
   */
  decide(result, options) {
    const o = optionsObject(options)
    const { status, retryAfterMs } = outcome(result, o.nowMs ?? Date.now())
    const step = this.#native.decide(o.atMs ?? monotonic.nowMs, status, retryAfterMs)
    if (step.action === 'retry') return { action: 'retry', afterMs: step.afterMs }
    if (step.action === 'give-up') return { action: 'give-up', reason: step.reason }
    return { action: step.action }
  }

  /** Attempts decided so far. */
  get attempts() {
    return this.#native.attempts
  }
}

/**
 * What a client does after a response: retry 429 and 5xx after `max(Retry-After, backoff)`,
 * never retry 402, within `maxAttempts` (default 5) attempts and `maxElapsedMs` (default
 * Infinity). Backoff options as for `Backoff`. `start()` begins one request's sequence.
 */
class RetryPolicy {
  #options
  #seed
  #sequences = 0n

  constructor(options) {
    const o = optionsObject(options)
    const backoff = backoffOptions(o)
    const maxAttempts = whole(o.maxAttempts ?? 5, 'maxAttempts', 1)
    if (maxAttempts > 0xffff_ffff) throw rangeError(`maxAttempts must be at most ${0xffff_ffff}, got ${maxAttempts}`)
    const maxElapsedMs = milliseconds(o.maxElapsedMs ?? Infinity, 'maxElapsedMs', { infinite: true })
    this.#options = { ...backoff, maxAttempts, maxElapsedMs }
    this.#seed = seedOption(o.seed)
  }

  /** A new sequence for one request whose first attempt starts now (`atMs` on the monotonic clock). */
  start(options) {
    const o = optionsObject(options)
    const { baseMs, capMs, jitter, maxAttempts, maxElapsedMs } = this.#options
    // Each sequence draws from its own stream: the policy's seed plus its number.
    const seed = BigInt.asUintN(64, this.#seed + this.#sequences++)
    const startedMs = o.atMs ?? monotonic.nowMs
    return new RetrySequence(new native.NativeRetry(baseMs, capMs, jitter, maxAttempts, maxElapsedMs, seed, startedMs))
  }
}

/**
 * Proactive throttling from the last response's rate-limit fields: once `remaining` is at
 * or below `lowWater` units or `lowWaterPercent` (default 20) of the limit, the next request
 * waits `reset / remaining`; `Retry-After` and an exhausted quota always wait.
 * `{ always: true }` paces every request.
 */
class Pacer {
  #lowWater
  #lowWaterPercent

  constructor(options) {
    const o = optionsObject(options)
    this.#lowWater = o.always ? Infinity : whole(o.lowWater ?? 0, 'lowWater')
    this.#lowWaterPercent = o.always ? 100 : whole(o.lowWaterPercent ?? 20, 'lowWaterPercent')
    if (this.#lowWaterPercent > 100) throw rangeError(`lowWaterPercent must be at most 100, got ${this.#lowWaterPercent}`)
  }

  /**
   * Milliseconds to wait at `nowMs` before the next request, given `info` (from
   * `parseRateLimitHeaders`) read from a response received at `receivedAtMs` (both on one
   * clock; default: the monotonic clock now).
   */
  delayMs(info, options) {
    const o = optionsObject(options)
    expect(typeof info === 'object' && info !== null, 'info', 'an object', info)
    const now = o.nowMs ?? monotonic.nowMs
    const received = o.receivedAtMs ?? now
    return native.pacerDelayMs(info, received, now, this.#lowWater, this.#lowWaterPercent)
  }
}

/**
 * `fetch` with retries and pacing: retries 429, 5xx and network errors as `retry` (a
 * RetryPolicy) decides, waiting at least `Retry-After`; never retries 402. With a `pacer`,
 * waits before each request as the previous response's fields ask. Resolves with the last
 * response (a 429 when the retries ran out, a 402 at once); rejects with the network error
 * when retries ran out on one, or when `signal` aborts.
 */
async function fetchWithRetry(input, init, options) {
  const o = optionsObject(options)
  const retry = o.retry ?? new RetryPolicy()
  expect(retry instanceof RetryPolicy, 'retry', 'a RetryPolicy', retry)
  if (o.pacer !== undefined) expect(o.pacer instanceof Pacer, 'pacer', 'a Pacer', o.pacer)
  const fetchFn = o.fetch ?? globalThis.fetch
  expect(typeof fetchFn === 'function', 'fetch', 'a function', fetchFn)
  const signal = o.signal ?? init?.signal
  const sequence = retry.start()
  let wait = 0
  for (;;) {
    if (wait > 0) await monotonic.sleep(wait, signal)
    let result
    try {
      result = await fetchFn(input, init)
    } catch (error) {
      if (signal?.aborted) throw error
      result = error
    }
    const step = sequence.decide(result)
    if (step.action !== 'retry') {
      if (result instanceof Error) throw result
      return result
    }
    wait = step.afterMs
    if (o.pacer !== undefined && !(result instanceof Error)) {
      const info = parseRateLimitHeaders(fieldPairs(result.headers))
      wait = Math.max(wait, o.pacer.delayMs(info))
    }
    o.onRetry?.(result, wait)
  }
}

module.exports = { Backoff, Pacer, RetryPolicy, RetrySequence, fetchWithRetry }
