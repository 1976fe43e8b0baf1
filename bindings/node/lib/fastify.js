'use strict'
// Fastify: `fastify.register(ratecell, { limiter, key })` limits every route of the instance
// (the plugin is not encapsulated, like fastify-plugin's); a route gives its own limit with
// `config: { ratecell: { limiter, cost } }`, or opts out with `config: { ratecell: false }`.

const { options: optionsObject } = require('./error')
const { Limits, clientAddress, headerKey, limitsFrom, release, ruleOption } = require('./web')

/** A route's own rule, validated once per route options object. */
const routeRules = new WeakMap()

function routeRule(config) {
  const option = config?.ratecell
  if (option === undefined) return undefined
  if (option === false) return false
  let rule = routeRules.get(option)
  if (rule === undefined) {
    rule = ruleOption(option, 'config.ratecell')
    routeRules.set(option, rule)
  }
  return rule
}

/**
 * The plugin: options as for Limits (see lib/web.js), or `{ limits }`. A refused request is
 * answered 429 (or 402 when credits ran out) with a JSON body and the header fields; an
 * admitted one proceeds with the fields set on its reply. A concurrency lease is released
 * when the response finishes or the connection closes.
 */
function ratecell(fastify, options, done) {
  const { prefix: _prefix, logLevel: _logLevel, ...rest } = optionsObject(options)
  let limits
  try {
    limits = limitsFrom(rest)
  } catch (error) {
    done(error)
    return
  }
  // A route's config is checked when the route is declared, not on its first request.
  fastify.addHook('onRoute', (route) => {
    routeRule(route.config)
  })
  fastify.addHook('onRequest', (request, reply, next) => {
    const rule = routeRule(request.routeOptions.config)
    if (rule === false) {
      next()
      return
    }
    let verdict
    try {
      verdict = limits.check(request, rule)
    } catch (error) {
      next(error)
      return
    }
    if (typeof verdict.then === 'function') {
      verdict.then((v) => answer(reply, next, v), next)
      return
    }
    answer(reply, next, verdict)
  })
  done()
}

/** Sends the refusal of `verdict`, or lets the request proceed with its header fields. */
function answer(reply, next, verdict) {
  const { lease } = verdict
  if (lease !== null) {
    const end = () => release(lease)
    reply.raw.once('finish', end)
    reply.raw.once('close', end)
  }
  reply.headers(verdict.headers)
  if (verdict.body === null) {
    next()
    return
  }
  reply.code(verdict.status).send(verdict.body)
}

// Not encapsulated: the hooks apply to the routes of the instance that registers it.
ratecell[Symbol.for('skip-override')] = true
ratecell[Symbol.for('fastify.display-name')] = 'ratecell'
ratecell[Symbol.for('plugin-meta')] = { name: 'ratecell', fastify: '>=4' }

module.exports = ratecell
module.exports.default = ratecell
module.exports.ratecell = ratecell
module.exports.Limits = Limits
module.exports.clientAddress = clientAddress
module.exports.headerKey = headerKey
