'use strict'
// The Redis scripts' calling convention seen from JavaScript (redis/README.md): the scripts
// (embedded in the native module) by name and SHA1, reading replies, and the arguments'
// checks. Internal: the public API is redis.js.

const { createHash } = require('node:crypto')
const { native } = require('./native')
const { expect, rangeError } = require('./error')

const NEVER = 18446744073709551615n

/** The scripts by name, with their SHA1: composed once per process. */
let scripts
function script(name) {
  if (scripts === undefined) {
    scripts = new Map()
    for (const { name: n, text } of native.redisScripts()) {
      scripts.set(n, { text, sha: createHash('sha1').update(text).digest('hex') })
    }
  }
  return scripts.get(name)
}

/** Redis could not decide (unreachable, too slow, or the circuit is open). */
class RedisUnavailableError extends Error {
  constructor(message, cause) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'RedisUnavailableError'
    this.code = 'ERR_RATECELL_REDIS_UNAVAILABLE'
  }
}

/** Nanoseconds from a reply (a decimal string) as milliseconds; never is Infinity. */
function ms(value) {
  const ns = BigInt(value)
  return ns === NEVER ? Infinity : Number(ns) / 1e6
}

/** The decision in `reply` from index 2. */
function decision(reply) {
  return {
    allowed: Number(reply[2]) === 1,
    limit: Number(reply[3]),
    remaining: Number(reply[4]),
    retryAfterMs: ms(reply[5]),
    resetAfterMs: ms(reply[6]),
  }
}

/** Throws the core's error for a reply that is not `ok`. */
function checkStatus(reply) {
  const [status] = reply
  if (status === 'ok') return reply
  if (status === 'insufficient_capacity') {
    const e = rangeError(`the cost exceeds the capacity (${reply[2]}): waiting cannot help`)
    e.code = 'ERR_RATECELL_INSUFFICIENT_CAPACITY'
    e.capacity = Number(reply[2])
    throw e
  }
  if (status === 'credits_overflow') {
    const e = rangeError(`the top-up exceeds what the key can be granted (at most ${reply[2]} more)`)
    e.code = 'ERR_RATECELL_CREDITS_OVERFLOW'
    e.headroom = Number(reply[2])
    throw e
  }
  throw new Error(`unexpected reply from the ratecell script: ${JSON.stringify(status)}`)
}

function keyName(key) {
  if (key === undefined || key === null) return ''
  expect(typeof key === 'string', 'key', 'a string or undefined', key)
  return key
}

function cost(value) {
  if (value === undefined) return '1'
  if (typeof value === 'bigint' && value >= 0n) return value.toString()
  expect(typeof value === 'number', 'cost', 'a number', value)
  if (!Number.isSafeInteger(value) || value < 0) throw rangeError(`cost must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${value}`)
  return String(value)
}

module.exports = { RedisUnavailableError, checkStatus, cost, decision, keyName, ms, script }
