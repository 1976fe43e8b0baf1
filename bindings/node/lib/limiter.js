'use strict'
// The keyed rate limiters: Gcra, TokenBucket, FixedWindow, SlidingWindow, SlidingLog, Burst
// and Credits. Each is a thin JavaScript class over one native limiter; `check` is one call
// into Rust, which writes the decision to a shared buffer this file turns into a plain object.

const { native, out } = require('./native')
const { expect, options: optionsObject, typeError } = require('./error')
const { NATIVE, acquireOptions, clockOption, waitFor } = require('./time')
const { policyHeaders } = require('./http')

/** The native limiter of a ratecell limiter object (for AllOf and the middleware). */
let nativeOf
/** The clock of a ratecell limiter object (undefined: monotonic), for AllOf. */
let clockOf

/** Options from `(quota, options)`: a quota string first, or one options object. */
function merged(first, second, primary) {
  if (typeof first === 'string' || typeof first === 'number' || typeof first === 'bigint') {
    const rest = optionsObject(second)
    if (Object.hasOwn(rest, primary)) throw typeError(`give ${primary} once: as the first argument or in the options`)
    return { ...rest, [primary]: first }
  }
  if (second !== undefined) throw typeError('give options once: (quota, options) or (options)')
  return optionsObject(first)
}

/** A keyed limiter: one policy, a state per key, at most `maxKeys` keys. */
class KeyedLimiter {
  #native
  #check
  #peek
  #clock
  #policy

  static {
    nativeOf = (limiter) => limiter.#native
    clockOf = (limiter) => limiter.#clock
  }

  /** `create(nativeClock)` makes the native limiter; `options.clock` is the clock. */
  constructor(create, options) {
    const clock = clockOption(options.clock)
    const n = create(clock?.[NATIVE])
    this.#native = n
    this.#check = n.check
    this.#peek = n.peek
    this.#clock = clock
    this.#policy = Object.freeze({ ...n.policy, advertised: Object.freeze(n.policy.advertised) })
  }

  /**
   * Decides a request of `cost` (default 1) for `key` (default: the single default key) and
   * records it when admitted. A denial is a decision (`allowed: false`), never an error.
   */
  check(key, cost) {
    // A cost left out is not passed: the native side then reads one argument fewer.
    if (cost === undefined) this.#check(key)
    else this.#check(key, cost)
    return { allowed: out[0] === 1, limit: out[1], remaining: out[2], retryAfterMs: out[3], resetAfterMs: out[4] }
  }

  /** The key's standing, recording nothing. */
  peek(key) {
    this.#peek(key)
    return { allowed: out[0] === 1, limit: out[1], remaining: out[2], retryAfterMs: out[3], resetAfterMs: out[4] }
  }

  /** Forgets `key`: it is fresh again. Returns whether it was stored. */
  reset(key) {
    return this.#native.reset(key)
  }

  /** Forgets every key. */
  clear() {
    this.#native.clear()
  }

  /** How many keys are stored (never more than `maxKeys`). */
  get size() {
    return this.#native.size()
  }

  /** The policy: `kind`, `limit`, `periodMs`, `burst`, `capacity`, `maxKeys`, ... */
  get policy() {
    return this.#policy
  }

  /**
   * Waits until a request of `cost` for `key` is admitted, and records it. Resolves with the
   * admitting decision, or with the denial when `timeoutMs` would pass first or no wait can
   * admit it (a denial is a value, never a rejection). Sleeps for exactly `retryAfterMs`
   * between attempts. Rejects only when `signal` aborts (with its reason) or for invalid
   * arguments.
   */
  async acquire(key, options) {
    const { cost, timeoutMs, signal } = acquireOptions(options)
    return waitFor(this.#clock, () => this.check(key, cost), timeoutMs, signal)
  }

  /**
   * The response header fields for `decision` (taken by this limiter) in `style`
   * (`ietf`, `draft-8`, `draft-7`, `draft-6` or `legacy`), as a plain object.
   */
  headers(decision, style = 'ietf', options) {
    return policyHeaders(this.#policy, decision, style, options)
  }

  get [Symbol.toStringTag]() {
    return this.constructor.name
  }
}

/** Declares a rate limiter class of `kind`; `new Kind('100/minute', options)` or `new Kind(options)`. */
function rateLimiter(name, kind) {
  const cls = {
    [name]: class extends KeyedLimiter {
      constructor(quota, options) {
        const opts = merged(quota, options, 'quota')
        super((clock) => native.createLimiter(kind, opts, clock), opts)
      }

      /** A limiter from a quota string such as `"100/minute burst 120"`. */
      static parse(quota, options) {
        expect(typeof quota === 'string', 'quota', 'a string', quota)
        return new this(quota, options)
      }
    },
  }[name]
  return cls
}

/** The generic cell rate algorithm: exact, 8 bytes per key. */
const Gcra = rateLimiter('Gcra', 'gcra')
/**
 * Tokens set aside by `TokenBucket.reserve`: proceed after `delayMs` when `committed`, or
 * `cancel()` to give the tokens back.
 */
class Reservation {
  #native
  #key
  #parts
  #cancelled = false

  constructor(n, key, parts) {
    this.#native = n
    this.#key = key
    this.#parts = parts
  }

  /** The tokens were taken: proceed after `delayMs`. False: the wait was too long, nothing was taken. */
  get committed() {
    return this.#parts[0] === 1n
  }

  /** Milliseconds from the reservation until the caller may proceed. */
  get delayMs() {
    return Number(this.#parts[3]) / 1e6
  }

  /** The instant the caller may proceed, in nanoseconds on the limiter's clock. */
  get readyAtNs() {
    return this.#parts[2]
  }

  /** Gives the tokens back (those not yet due to refill in its place); the whole tokens returned. Once. */
  cancel() {
    if (this.#cancelled) return 0
    this.#cancelled = true
    return this.#native.cancel(this.#key, this.#parts)
  }
}

/**
 * A token bucket: the same exact arithmetic, seen as tokens. `startsEmpty: true` gives new
 * keys an empty bucket; `reserve` takes tokens ahead of time.
 */
class TokenBucket extends rateLimiter('TokenBucket', 'token-bucket') {
  /**
   * Reserves `cost` (default 1) tokens for `key`, borrowing against future refills, and takes
   * them when they are there within `maxWaitMs` (default 0). A Reservation (check
   * `committed`), or null when the key cannot be stored (a full table failing closed).
   */
  reserve(key, cost, options) {
    const o = optionsObject(options)
    const n = nativeOf(this)
    const parts = n.reserve(key, cost, o.maxWaitMs)
    return parts === null ? null : new Reservation(n, key, parts)
  }
}
/** Counters per epoch-aligned window (the classic `X-RateLimit-Reset`). */
const FixedWindow = rateLimiter('FixedWindow', 'fixed-window')
/** The weighted two-window counter: approximate, O(1). */
const SlidingWindow = rateLimiter('SlidingWindow', 'sliding-window')
/** The exact sliding window: a log of 16, 128 or 1,024 requests per key (`entries`). */
const SlidingLog = rateLimiter('SlidingLog', 'sliding-log')
/** A sustained rate and a short-term peak (`burstWindowMs`), enforced together. */
const Burst = rateLimiter('Burst', 'burst')

/**
 * A budget per key that never replenishes by itself (HTTP 402, not 429): running out is a
 * denial with `retryAfterMs: Infinity`; `topUp` adds credits.
 */
class Credits extends KeyedLimiter {
  constructor(budget, options) {
    const opts = merged(budget, options, 'budget')
    super((clock) => native.createLimiter('credits', opts, clock), opts)
  }

  /** Adds `amount` credits to `key`; the credits it has left (null when the key is new and no key can be stored). */
  topUp(key, amount) {
    return nativeOf(this).topUp(key, amount)
  }
}

module.exports = {
  Burst,
  Credits,
  FixedWindow,
  Gcra,
  KeyedLimiter,
  Reservation,
  SlidingLog,
  SlidingWindow,
  TokenBucket,
  clockOf,
  merged,
  nativeOf,
}
