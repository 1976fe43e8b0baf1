'use strict'
// Concurrency: at most `limit` leases in flight per key. A lease expires `ttlMs` after it was
// acquired or last renewed, so a holder that never releases cannot leak its slot.

const { native, out } = require('./native')
const { KeyedLimiter, merged, nativeOf } = require('./limiter')

/** A lease held on one key's slot. Releasing twice, or after it expired and the slot was reused, frees nothing. */
class Lease {
  #native
  #key
  #slot
  #high
  #low

  constructor(n, key, slot, high, low) {
    this.#native = n
    this.#key = key
    this.#slot = slot
    this.#high = high
    this.#low = low
  }

  /** The key the lease was acquired for. */
  get key() {
    return this.#key
  }

  /** Ends the lease. True when it was live and its slot is now free. */
  release() {
    return this.#native.release(this.#key, this.#slot, this.#high, this.#low)
  }

  /** Extends a live lease to expire `ttlMs` from now. False when it already ended. */
  renew() {
    return this.#native.renew(this.#key, this.#slot, this.#high, this.#low)
  }
}

if (typeof Symbol.dispose === 'symbol') {
  /** `using lease = c.acquire(key).lease` releases at the end of the block. */
  Lease.prototype[Symbol.dispose] = function dispose() {
    this.release()
  }
}

/**
 * Concurrency leases: `acquire(key)` returns a decision carrying a `lease` when allowed
 * (`null` when refused); release it when the work ends. Options: `limit` (1 to 1,024 per
 * key), `ttlMs`, `maxKeys`, `whenFull`, `clock`. `check(key, cost)` takes `cost` anonymous
 * leases, which cannot be released and end after `ttlMs`.
 */
class Concurrency extends KeyedLimiter {
  #acquire

  constructor(limit, options) {
    const opts = merged(limit, options, 'limit')
    super((clock) => native.createLimiter('concurrency', opts, clock), opts)
    this.#acquire = nativeOf(this).acquire
  }

  /** Acquires one lease for `key` (default: the default key), if fewer than `limit` are live. */
  acquire(key) {
    this.#acquire(key)
    const d = {
      allowed: out[0] === 1,
      limit: out[1],
      remaining: out[2],
      retryAfterMs: out[3],
      resetAfterMs: out[4],
      lease: null,
    }
    if (d.allowed) d.lease = new Lease(nativeOf(this), key, out[5], out[6], out[7])
    return d
  }
}

module.exports = { Concurrency, Lease }
