'use strict'
// HTTP: response header fields for decisions (every RateLimit draft and the legacy
// X-RateLimit-* form), the 429 and 402 bodies, and reading those fields back on the client.
// The formatting and parsing are the core's (src/http.rs); this file shapes the arguments.

const { native } = require('./native')
const { describe, expect, options: optionsObject } = require('./error')

function decisionInput(d) {
  expect(typeof d === 'object' && d !== null, 'decision', 'a decision object', d)
  expect(typeof d.allowed === 'boolean', 'decision.allowed', 'a boolean', d.allowed)
  for (const name of ['limit', 'remaining', 'retryAfterMs', 'resetAfterMs']) {
    expect(typeof d[name] === 'number', `decision.${name}`, 'a number', d[name])
  }
  return d
}

function nowOption(o) {
  const nowMs = o.nowMs ?? Date.now()
  expect(typeof nowMs === 'number', 'nowMs', 'a number of Unix milliseconds', nowMs)
  return nowMs
}

function policyInput(d, name, quota, windowMs, unit) {
  expect(typeof name === 'string', 'name', 'a string', name)
  return {
    name,
    quota,
    windowMs,
    unit,
    allowed: d.allowed,
    limit: d.limit,
    remaining: d.remaining,
    retryAfterMs: d.retryAfterMs,
    resetAfterMs: d.resetAfterMs,
  }
}

function toObject(pairs) {
  const fields = {}
  for (const [name, value] of pairs) fields[name] = value
  return fields
}

/** The credit balance a Credits decision reports. */
function balance(d) {
  return { remaining: d.remaining, used: Math.max(0, d.limit - d.remaining) }
}

/**
 * The response header fields for `decision` in `style` (`ietf`, `draft-8`, `draft-7`,
 * `draft-6` or `legacy`), as a plain object. Options: `nowMs` (Unix milliseconds, for
 * `X-RateLimit-Reset`; default `Date.now()`), `name` (the policy name, default
 * `"default"`), `quota` and `windowMs` (what the policy advertises; default the decision's
 * `limit` and no window), `unit`, and `credits` (`{ remaining, used }`).
 * A denial that waiting cures adds `Retry-After`.
 */
function headers(decision, style = 'ietf', options) {
  const o = optionsObject(options)
  const d = decisionInput(decision)
  const policy = policyInput(d, o.name ?? 'default', o.quota ?? d.limit, o.windowMs ?? 0, o.unit)
  return toObject(native.responseHeaders(style, [policy], nowOption(o), o.credits))
}

/**
 * What a limiter with description `policy` adds to the fields for its decision `d`: a policy
 * named `name` (`{ input }`), or, for credits, a balance (`{ credits }`), as the core's
 * advert of the limiter (`policy.advertised`) says.
 */
function advertise(policy, d, name) {
  const a = policy.advertised
  if (a.kind === 'credits') return { credits: balance(d) }
  return { input: policyInput(d, name, a.quota, a.windowMs, a.unit) }
}

/** `headers` for a decision taken by a limiter with description `policy`. */
function policyHeaders(policy, decision, style = 'ietf', options) {
  const o = optionsObject(options)
  const m = advertise(policy, decisionInput(decision), o.name ?? 'default')
  const inputs = m.input === undefined ? [] : [m.input]
  return toObject(native.responseHeaders(style, inputs, nowOption(o), o.credits ?? m.credits))
}

/**
 * `headers` for an AllOf's decision: every member that is a rate limit or a concurrency cap
 * is a policy named after the member (its name or index), with its own standing, all in the
 * same fields; a credits member adds the credit fields. Without member standings (a decision
 * object built by hand), the member that refused, or else the tightest, stands for all.
 */
function allOfHeaders(policies, names, decision, style = 'ietf', options) {
  const o = optionsObject(options)
  const d = decisionInput(decision)
  const members = Array.isArray(d.members) && d.members.length === policies.length ? d.members : undefined
  if (members === undefined) {
    const which = d.refusedBy ?? d.tightest
    const index = Math.max(0, names.indexOf(which))
    return policyHeaders(policies[index], d, style, options)
  }
  const inputs = []
  let credits = o.credits
  policies.forEach((policy, i) => {
    const m = advertise(policy, decisionInput(members[i]), String(names[i]))
    if (m.input === undefined) {
      credits = credits ?? m.credits
    } else {
      inputs.push(m.input)
    }
  })
  return toObject(native.responseHeaders(style, inputs, nowOption(o), credits))
}

/**
 * The JSON body of a 429 response for a denial, in the shape API providers publish:
 * `{"error":{"code":"rate_limit_exceeded","message":...,"type":"rate_limit_error","details":{...}}}`.
 * Options: `quota` (the advertised limit, default the decision's), `nowMs`, `message`.
 * `null` when the decision was admitted or no wait can admit it (answer 402).
 */
function rateLimitBody(decision, options) {
  const o = optionsObject(options)
  const d = decisionInput(decision)
  if (o.message !== undefined) expect(typeof o.message === 'string', 'message', 'a string', o.message)
  return native.rateLimitBody([policyInput(d, 'default', o.quota ?? d.limit, 0)], nowOption(o), o.message)
}

/** The JSON body of a 402 response: `{"error":{"code":"insufficient_api_credits",...}}`. */
function insufficientCreditsBody(message) {
  if (message !== undefined) expect(typeof message === 'string', 'message', 'a string', message)
  return native.insufficientCreditsBody(message)
}

/** `[name, value]` pairs from a Headers object, a Map, an array of pairs or a plain object. */
function fieldPairs(fields) {
  const pairs = []
  const add = (name, value) => {
    if (value === undefined || value === null) return
    const text = Array.isArray(value) ? value.join(', ') : String(value)
    pairs.push([String(name), text])
  }
  if (fields === null || typeof fields !== 'object') {
    throw Object.assign(
      new TypeError(`headers must be a Headers object, a Map, an array of pairs or a plain object, got ${describe(fields)}`),
      { code: 'ERR_RATECELL_INVALID_ARG_TYPE' },
    )
  }
  if (typeof fields[Symbol.iterator] === 'function') {
    for (const pair of fields) {
      expect(Array.isArray(pair) && pair.length === 2, 'each header', 'a [name, value] pair', pair)
      add(pair[0], pair[1])
    }
  } else {
    for (const [name, value] of Object.entries(fields)) add(name, value)
  }
  return pairs
}

/**
 * Reads the rate-limit fields of a response (`RateLimit`, `RateLimit-Policy`, the draft and
 * `X-RateLimit-*` forms, `Retry-After`, `X-API-Credits-*`): `{ limit, remaining, resetMs,
 * windowMs, retryAfterMs, creditsRemaining, creditsUsed }`, each `undefined` when absent or
 * malformed. `headers` may be a fetch `Headers`, a Map, pairs or a plain object.
 */
function parseRateLimitHeaders(headers, options) {
  const o = optionsObject(options)
  const info = native.parseRateLimitFields(fieldPairs(headers), nowOption(o))
  return {
    limit: info.limit,
    remaining: info.remaining,
    resetMs: info.resetMs,
    windowMs: info.windowMs,
    retryAfterMs: info.retryAfterMs,
    creditsRemaining: info.creditsRemaining,
    creditsUsed: info.creditsUsed,
  }
}

/**
 * A `Retry-After` value (delay seconds or an HTTP-date) as milliseconds to wait;
 * `undefined` when it does not parse. Options: `date` (the response's `Date` field, for
 * HTTP-dates) and `nowMs` (Unix milliseconds, default `Date.now()`).
 */
function parseRetryAfter(value, options) {
  expect(typeof value === 'string', 'value', 'a string', value)
  const o = optionsObject(options)
  if (o.date !== undefined) expect(typeof o.date === 'string', 'date', 'a string', o.date)
  return native.retryAfterMs(value, o.date, nowOption(o)) ?? undefined
}

module.exports = {
  allOfHeaders,
  balance,
  fieldPairs,
  headers,
  insufficientCreditsBody,
  parseRateLimitHeaders,
  parseRetryAfter,
  policyHeaders,
  policyInput,
  rateLimitBody,
  toObject,
}
