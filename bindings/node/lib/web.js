'use strict'
// What the Express middleware and the Fastify plugin share: key functions, per-route rules,
// and the verdict on a request (proceed with these response fields, or answer with this
// status and body). Framework-neutral: a request here is anything with `method`, `url` (or
// `originalUrl`), `headers` (lower-case names) and `ip`, which both frameworks provide.

const { expect, options: optionsObject, rangeError, typeError, whole } = require('./error')
const { KeyedLimiter } = require('./limiter')
const { Concurrency } = require('./concurrency')
const { insufficientCreditsBody, rateLimitBody } = require('./http')
const { RedisAllOf, RedisLimiter } = require('./redis')

/** Ends `lease` (if any), ignoring a failure to reach Redis: the lease then expires by itself. */
function release(lease) {
  const done = lease?.release()
  if (typeof done?.catch === 'function') done.catch(() => {})
}

/** A concurrency cap: in this process, or in Redis (a RedisLimiter of a Concurrency). */
function isConcurrency(value) {
  return value instanceof Concurrency || (value instanceof RedisLimiter && value.policy.kind === 'concurrency')
}

/** A limiter a rule may use: in this process, or in Redis (whose decisions are promises). */
function isLimiter(value) {
  return value instanceof KeyedLimiter || value instanceof RedisLimiter || value instanceof RedisAllOf
}

const STYLES = ['ietf', 'draft-8', 'draft-7', 'draft-6', 'legacy']

/** The client's address (behind a proxy, configure the framework's trust proxy setting). */
function clientAddress(req) {
  return req.ip
}

/** The value of header `name` (an API key), or `fallback(req)` without one (default: the address). */
function headerKey(name, fallback = clientAddress) {
  expect(typeof name === 'string', 'name', 'a header name', name)
  if (fallback !== null) expect(typeof fallback === 'function', 'fallback', 'a key function or null', fallback)
  const lower = name.toLowerCase()
  return (req) => {
    const value = req.headers[lower]
    const first = Array.isArray(value) ? value[0] : value
    if (first) return first
    return fallback === null ? undefined : fallback(req)
  }
}

/** The URL path of a request, without the query. */
function pathOf(req) {
  const url = req.originalUrl ?? req.url ?? '/'
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

/** A cost: a whole number, or a function of the request returning one. */
function costOption(cost, name) {
  if (cost === undefined) return 1
  if (typeof cost === 'function') return cost
  return whole(cost, name)
}

/**
 * A rule: `limiter` charged `cost` (a number or a function of the request) for requests whose
 * path is `path` or below it (`/v1/sessions` matches `/v1/sessions/sess_1`, not
 * `/v1/sessionsx`) and whose method is one of `methods` (any when left out).
 */
function ruleOption(rule, where) {
  const r = optionsObject(rule, where)
  expect(isLimiter(r.limiter), `${where}.limiter`, 'a ratecell limiter (in process or in Redis)', r.limiter)
  const path = r.path ?? '/'
  expect(typeof path === 'string' && path.startsWith('/'), `${where}.path`, 'a path starting with /', path)
  let methods
  if (r.methods !== undefined) {
    expect(Array.isArray(r.methods) && r.methods.every((m) => typeof m === 'string'), `${where}.methods`, 'an array of method names', r.methods)
    methods = new Set(r.methods.map((m) => m.toUpperCase()))
  }
  return { limiter: r.limiter, prefix: path.replace(/\/+$/, ''), methods, cost: costOption(r.cost, `${where}.cost`) }
}

function matches(rule, method, path) {
  if (rule.methods !== undefined && !rule.methods.has(method.toUpperCase())) return false
  return rule.prefix === '' || path === rule.prefix || path.startsWith(rule.prefix + '/')
}

/**
 * The limits a middleware enforces. Options:
 * - `limiter` (one limiter for every request) or `rules` (tried in order; the first match
 *   applies; requests matching none are not rate limited);
 * - `key`: the key function (default: the client's address);
 * - `concurrency`: a `Concurrency` cap per key (in process, or a Redis limiter of one), held
 *   until the response finishes;
 * - `headerStyle`: `ietf` (default), `draft-8`, `draft-7`, `draft-6`, `legacy`, or `null` for
 *   no fields but `Retry-After`;
 * - `message`: replaces the default message of the 429 and 402 bodies.
 * A refusal is answered 429 with the `rate_limit_exceeded` body, or 402 with
 * `insufficient_api_credits` when no wait can help (credits exhausted).
 */
class Limits {
  #rules
  #key
  #concurrency
  #style
  #message

  constructor(options) {
    const o = optionsObject(options)
    if (o.limiter !== undefined && o.rules !== undefined) throw typeError('give limiter or rules, not both')
    if (o.limiter !== undefined) {
      this.#rules = [ruleOption({ limiter: o.limiter, cost: o.cost }, 'options')]
    } else {
      expect(o.rules === undefined || Array.isArray(o.rules), 'rules', 'an array of rules', o.rules)
      this.#rules = (o.rules ?? []).map((r, i) => ruleOption(r, `rules[${i}]`))
    }
    this.#key = o.key ?? clientAddress
    expect(typeof this.#key === 'function', 'key', 'a function of the request', this.#key)
    if (o.concurrency !== undefined) expect(isConcurrency(o.concurrency), 'concurrency', 'a Concurrency (in process or in Redis)', o.concurrency)
    this.#concurrency = o.concurrency
    const style = o.headerStyle === undefined ? 'ietf' : o.headerStyle
    if (style !== null) {
      expect(typeof style === 'string', 'headerStyle', 'a header style or null', style)
      if (!STYLES.includes(style)) throw rangeError(`headerStyle must be one of ${STYLES.join(', ')} or null, got ${JSON.stringify(style)}`)
    }
    this.#style = style
    if (o.message !== undefined) expect(typeof o.message === 'string', 'message', 'a string', o.message)
    this.#message = o.message
    if (o.limiter === undefined && o.rules === undefined && o.concurrency === undefined) {
      throw typeError('give a limiter, rules or a concurrency cap: there is nothing to enforce')
    }
  }

  #fields(limiter, decision) {
    if (this.#style !== null) return limiter.headers(decision, this.#style)
    const wait = decision.retryAfterMs
    return wait > 0 && wait !== Infinity ? { 'Retry-After': String(Math.ceil(wait / 1000)) } : {}
  }

  #refuse(limiter, decision) {
    const headers = { ...this.#fields(limiter, decision), 'Content-Type': 'application/json' }
    if (decision.retryAfterMs === Infinity) {
      return { status: 402, headers, body: insufficientCreditsBody(this.#message), decision, lease: null }
    }
    const quota = limiter.policy.limit ?? decision.limit
    const body = rateLimitBody(decision, { quota, message: this.#message })
    return { status: 429, headers, body, decision, lease: null }
  }

  /**
   * Decides `req`: the concurrency lease first (cheap to give back), then the matching rule
   * (or `route`, a rule given by the route itself), charged only when the lease was granted.
   * Returns `{ status, headers, body, decision, lease }` (a promise of it when the limiter is
   * in Redis): `body` is null when the request proceeds (with `headers` added to its
   * response); release `lease` when it finishes.
   */
  check(req, route) {
    const key = this.#key(req)
    if (key !== undefined && key !== null) expect(typeof key === 'string', 'the key function\'s result', 'a string or undefined', key)
    const k = key ?? undefined
    if (this.#concurrency === undefined) return this.#rule(req, route, k, null)
    const held = this.#concurrency.acquire(k)
    if (typeof held.then === 'function') return held.then((h) => this.#leased(req, route, k, h))
    return this.#leased(req, route, k, held)
  }

  /** After the concurrency cap answered `held`: refuse, or go on to the rule with its lease. */
  #leased(req, route, k, held) {
    if (!held.allowed) return this.#refuse(this.#concurrency, held)
    return this.#rule(req, route, k, held.lease)
  }

  /** The rule's decision for `req` (holding `lease`, if any). */
  #rule(req, route, k, lease) {
    let rule = route
    if (rule === undefined) {
      const path = pathOf(req)
      rule = this.#rules.find((r) => matches(r, req.method, path))
    }
    if (rule === undefined || rule === null) return { status: 200, headers: {}, body: null, decision: null, lease }
    let decision
    try {
      const cost = typeof rule.cost === 'function' ? rule.cost(req) : rule.cost
      decision = rule.limiter.check(k, cost)
    } catch (error) {
      release(lease)
      throw error
    }
    // A limiter in Redis answers with a promise.
    if (typeof decision?.then === 'function') {
      return decision.then(
        (d) => this.#verdict(rule.limiter, d, lease),
        (error) => {
          release(lease)
          throw error
        },
      )
    }
    return this.#verdict(rule.limiter, decision, lease)
  }

  #verdict(limiter, decision, lease) {
    if (!decision.allowed) {
      release(lease)
      return this.#refuse(limiter, decision)
    }
    return { status: 200, headers: this.#fields(limiter, decision), body: null, decision, lease }
  }
}

/** `options.limits` (a Limits), or Limits built from the options. */
function limitsFrom(options) {
  const o = optionsObject(options)
  if (o.limits === undefined) return new Limits(o)
  expect(o.limits instanceof Limits, 'limits', 'a Limits', o.limits)
  if (Object.keys(o).length > 1) throw typeError('give either limits or the options of Limits, not both')
  return o.limits
}

module.exports = { Limits, clientAddress, headerKey, limitsFrom, release, ruleOption }
