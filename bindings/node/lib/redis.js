'use strict'
// Limits shared through Redis (or Valkey): the same algorithms and decisions as the
// in-process limiters, with the state in Redis, decided atomically by the Lua scripts of
// redis/scripts (embedded in the native module; calling convention in redis/README.md).
// Works with an ioredis client (or anything with its promise-based `evalsha` and `script`).

const { native } = require('./native')
const { expect, milliseconds, options: optionsObject, rangeError, typeError } = require('./error')
const { KeyedLimiter, nativeOf } = require('./limiter')
const { Concurrency } = require('./concurrency')
const { AllOf } = require('./all_of')
const { ManualClock } = require('./time')
const { RedisUnavailableError, checkStatus, cost, decision, keyName, ms, script } = require('./redis_protocol')
const { fallback, failureOption, scaled } = require('./redis_failure')

/**
 * Where limits live in Redis. `redis`: an ioredis client. Options: `prefix` (default
 * `"ratecell"`; keys are `<prefix>:{<key>}:<limiter name>`, so every limit of one key shares
 * a Redis Cluster slot), `timeoutMs` (default 250: a slower call counts as a failure),
 * `retryMs` (default 1,000: after a failure, Redis is left alone this long and the limiters'
 * failure policy decides, so an outage costs no timeouts), `floorMs` (the shortest life of
 * a written key; default 0: keys expire when fresh again), `clock` (a ManualClock:
 * the caller's time; default: the Redis server's clock, so every client agrees).
 */
class RedisStore {
  #redis
  #prefix
  #timeoutMs
  #retryMs
  #floor
  #clock
  #openUntil = 0

  constructor(redis, options) {
    expect(typeof redis === 'object' && redis !== null && typeof redis.evalsha === 'function', 'redis', 'an ioredis client', redis)
    const o = optionsObject(options)
    this.#redis = redis
    this.#prefix = o.prefix ?? 'ratecell'
    expect(typeof this.#prefix === 'string', 'prefix', 'a string', this.#prefix)
    // The braces of a key name are its Redis Cluster hash tag: the user key's, not the prefix's.
    if (/[{}]/.test(this.#prefix)) throw rangeError(`prefix must not contain braces, got ${JSON.stringify(this.#prefix)}`)
    this.#timeoutMs = milliseconds(o.timeoutMs ?? 250, 'timeoutMs')
    this.#retryMs = milliseconds(o.retryMs ?? 1000, 'retryMs')
    this.#floor = String(Math.ceil(milliseconds(o.floorMs ?? 0, 'floorMs')))
    if (o.clock !== undefined) expect(o.clock instanceof ManualClock, 'clock', 'a ManualClock', o.clock)
    this.#clock = o.clock
  }

  /** The Redis key of `key` under limiter `name`. */
  key(name, key) {
    return `${this.#prefix}:{${keyName(key)}}:${name}`
  }

  /** True while Redis is left alone after a failure. */
  get unavailable() {
    return performance.now() < this.#openUntil
  }

  /** Milliseconds until Redis is tried again (0 when it is). */
  get retryInMs() {
    return Math.max(0, this.#openUntil - performance.now())
  }

  /** Calls script `name` on `keys`: operation `op`, then `rest` (ARGV 5 on); the checked reply. */
  async call(name, keys, op, rest) {
    if (this.unavailable) throw new RedisUnavailableError('Redis failed recently; not calling it until retryMs has passed')
    const s = script(name)
    const now = this.#clock === undefined ? '' : this.#clock.nowNs().toString()
    const argv = [...keys, op, now, '', this.#floor, ...rest]
    let timer
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`Redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs)
      timer.unref?.()
    })
    const attempt = async () => {
      try {
        return await this.#redis.evalsha(s.sha, keys.length, ...argv)
      } catch (e) {
        if (!String(e?.message).startsWith('NOSCRIPT')) throw e
        await this.#redis.script('LOAD', s.text)
        return this.#redis.evalsha(s.sha, keys.length, ...argv)
      }
    }
    let reply
    try {
      reply = await Promise.race([attempt(), timeout])
    } catch (e) {
      if (typeof e?.message === 'string' && e.message.startsWith('ERR ratecell:')) throw e
      this.#openUntil = performance.now() + this.#retryMs
      throw e instanceof RedisUnavailableError ? e : new RedisUnavailableError(`Redis failed: ${e?.message ?? e}`, e)
    } finally {
      clearTimeout(timer)
    }
    return checkStatus(reply)
  }

  /**
   * A limiter named `name` deciding as `limiter` (a Gcra, TokenBucket, FixedWindow,
   * SlidingWindow, SlidingLog, Burst, Credits or Concurrency: its policy is taken, its
   * in-process keys are not used). `onFailure`: `"error"` (the default: reject with a
   * RedisUnavailableError), `"open"` (admit), `"closed"` (refuse until Redis is tried
   * again), `{ share }` (decide in this process with the same algorithm and that fraction
   * of the quota, for example 1/4 with 4 instances), or a limiter deciding in this process.
   */
  limiter(name, limiter, options) {
    return new RedisLimiter(this, name, limiter, options)
  }

  /** Several limits, all or nothing, in one round trip: `{ name: limiter, ... }`. */
  allOf(members, options) {
    return new RedisAllOf(this, members, options)
  }
}

/** One limiter in a RedisStore; `check`, `peek` and `reset` return promises. */
class RedisLimiter {
  #store
  #name
  #limiter
  #args
  #script
  #onFailure

  constructor(store, name, limiter, options) {
    expect(typeof name === 'string' && name.length > 0, 'name', 'a non-empty string', name)
    expect(limiter instanceof KeyedLimiter, 'limiter', 'a ratecell limiter', limiter)
    const { algorithm, params } = native.redisParams(nativeOf(limiter))
    const o = optionsObject(options)
    this.#store = store
    this.#name = name
    this.#limiter = limiter
    this.#args = [algorithm, ...params]
    this.#script = algorithm
    this.#onFailure = failureOption(o.onFailure, (share) => scaled(limiter, share))
    if (limiter instanceof Concurrency && this.#onFailure instanceof KeyedLimiter) {
      throw typeError('a Concurrency limit in Redis fails open, closed or with an error')
    }
  }

  /** The in-process policy this limiter decides by. */
  get policy() {
    return this.#limiter.policy
  }

  /** The Redis key holding `key`'s state. */
  redisKey(key) {
    return this.#store.key(this.#name, key)
  }

  async #decide(key, c) {
    const k = keyName(key)
    try {
      return decision(await this.#store.call(this.#script, [this.redisKey(k)], 'check', [...this.#args, c]))
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error
      return fallback(this.#onFailure, this.#store, this.#limiter.policy.capacity, (l, key2, c2) => l.check(key2, Number(c2)), key, c, error)
    }
  }

  /** Decides a request of `cost` (default 1) for `key`, recording it when admitted. */
  async check(key, c) {
    return this.#decide(key, cost(c))
  }

  /** The key's standing, recording nothing. */
  async peek(key) {
    return this.#decide(key, '0')
  }

  /** Forgets `key` in Redis. */
  async reset(key) {
    await this.#store.call(this.#script, [this.redisKey(key)], 'reset', this.#args)
  }

  /** Credits: adds `amount`; the credits left. */
  async topUp(key, amount) {
    expect(this.#args[0] === 'credits', 'this limiter', 'a Credits limiter', this.#limiter)
    const reply = await this.#store.call('credits', [this.redisKey(key)], 'top_up', [...this.#args, cost(amount)])
    return Number(reply[2])
  }

  /**
   * TokenBucket: reserves `cost` tokens for `key`, borrowing against future refills, and takes
   * them when they are there within `maxWaitMs` (default 0). Resolves with `{ committed,
   * delayMs, readyAtNs, cancel() }`; `cancel()` gives the tokens back (once) and resolves
   * with the whole tokens returned.
   */
  async reserve(key, c, options) {
    expect(this.#args[0] === 'token_bucket', 'this limiter', 'a TokenBucket limiter', this.#limiter)
    const amount = cost(c)
    const o = optionsObject(options)
    const maxWait = BigInt(Math.round(milliseconds(o.maxWaitMs ?? 0, 'maxWaitMs') * 1e6)).toString()
    const redisKey = this.redisKey(key)
    const reply = await this.#store.call('token_bucket', [redisKey], 'reserve', [...this.#args, amount, maxWait])
    const [committed, readyAt, delay, ready, serial, latestBefore] = reply.slice(2).map(String)
    let cancelled = committed !== '1'
    return {
      committed: committed === '1',
      delayMs: ms(delay),
      readyAtNs: BigInt(readyAt),
      cancel: async () => {
        if (cancelled) return 0
        cancelled = true
        const r = await this.#store.call('token_bucket', [redisKey], 'cancel', [...this.#args, amount, ready, readyAt, serial, latestBefore])
        return Number(r[2])
      },
    }
  }

  /**
   * Concurrency: one lease for `key`; the decision carries `lease` (with an async
   * `release()`) when allowed.
   */
  async acquire(key) {
    expect(this.#args[0] === 'concurrency', 'this limiter', 'a Concurrency limiter', this.#limiter)
    const redisKey = this.redisKey(key)
    let reply
    try {
      reply = await this.#store.call('concurrency', [redisKey], 'acquire', this.#args)
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error
      return { ...fallback(this.#onFailure, this.#store, this.#limiter.policy.capacity, undefined, key, '1', error), lease: null }
    }
    const d = { ...decision(reply), lease: null }
    if (Number(reply[7]) === 1) {
      const [slot, serial] = [String(reply[8]), String(reply[9])]
      const call = (op) => this.#store.call('concurrency', [redisKey], op, [...this.#args, slot, serial]).then((r) => Number(r[2]) === 1)
      d.lease = { key, release: () => call('release'), renew: () => call('renew') }
    }
    return d
  }

  /** The response header fields for a decision of this limiter. */
  headers(decision_, style, options) {
    return this.#limiter.headers(decision_, style, options)
  }
}

/** Several limits in Redis, all or nothing, decided in one script call. */
class RedisAllOf {
  #store
  #names
  #members
  #args
  #onFailure
  #local

  constructor(store, members, options) {
    expect(typeof members === 'object' && members !== null && !Array.isArray(members), 'members', 'an object of named limiters', members)
    const o = optionsObject(options)
    this.#store = store
    this.#names = Object.keys(members)
    this.#members = Object.values(members)
    if (this.#members.length === 0) throw rangeError('an AllOf needs at least one member')
    this.#args = this.#members.map((m, i) => {
      expect(m instanceof KeyedLimiter && !(m instanceof Concurrency), `member ${this.#names[i]}`, 'a ratecell rate limiter', m)
      const { algorithm, params } = native.redisParams(nativeOf(m))
      return [algorithm, ...params]
    })
    this.#onFailure = failureOption(o.onFailure, (share) => {
      return new AllOf(Object.fromEntries(this.#names.map((n, i) => [n, scaled(this.#members[i], share)])))
    })
  }

  get policy() {
    return this.#members[0].policy
  }

  /** Decides a request for `key` charging every member `cost` (or `{ name: cost }`). */
  async check(key, c) {
    const costs = this.#names.map((name) => cost(typeof c === 'object' && c !== null ? (c[name] ?? 0) : c))
    const keys = this.#names.map((name) => this.#store.key(name, key))
    const args = ['all_of', String(this.#members.length)]
    this.#args.forEach((a, i) => args.push(...a, costs[i]))
    let reply
    try {
      reply = await this.#store.call('all_of', keys, 'check', args)
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error
      const capacity = Math.min(...this.#members.map((m) => m.policy.capacity))
      // A local AllOf is charged each member's cost; another limiter the first member's.
      const local = (l, k) => l.check(k, l.names === undefined ? Number(costs[0]) : costs.map(Number))
      const d = fallback(this.#onFailure, this.#store, capacity, local, key, costs[0], error)
      return { refusedBy: null, tightest: null, ...d }
    }
    const refused = Number(reply[7])
    return { ...decision(reply), refusedBy: refused < 0 ? null : this.#names[refused], tightest: this.#names[Number(reply[8])] ?? null }
  }

  /** Every member's standing for `key`, recording nothing. */
  async peek(key) {
    return this.check(key, 0)
  }

  /** Forgets `key` in every member. */
  async reset(key) {
    await this.#store.call('all_of', this.#names.map((name) => this.#store.key(name, key)), 'reset', [])
  }

  /** The response header fields for a decision: the refusing (or tightest) member's quota. */
  headers(d, style, options) {
    const which = d?.refusedBy ?? d?.tightest
    const index = Math.max(0, this.#names.indexOf(which))
    return this.#members[index].headers(d, style, options)
  }
}

module.exports = { RedisAllOf, RedisLimiter, RedisStore, RedisUnavailableError }
