'use strict'
// Express (and any Connect-style server): `app.use(rateLimit({ limiter, key }))`, or on one
// route, `app.post('/v1/analysis', rateLimit({ limiter: analysis }), handler)`. The options
// are those of Limits (lib/web.js), or `{ limits }`.

const { Limits, clientAddress, headerKey, limitsFrom, release } = require('./web')

/** Sets `fields` on a Node response. */
function setFields(res, fields) {
  for (const name of Object.keys(fields)) res.setHeader(name, fields[name])
}

/**
 * A middleware enforcing `options` (see Limits): a refused request is answered 429 (or 402
 * when credits ran out) with a JSON body and the header fields; an admitted one proceeds
 * with the fields set on its response. A concurrency lease is released when the response
 * finishes or the connection closes. Errors (a cost above the capacity, a key function that
 * throws) go to `next(error)`.
 */
function rateLimit(options) {
  const limits = limitsFrom(options)
  const answer = (res, next, verdict) => {
    const { lease } = verdict
    if (lease !== null) {
      const end = () => release(lease)
      res.once('finish', end)
      res.once('close', end)
    }
    setFields(res, verdict.headers)
    if (verdict.body === null) {
      next()
      return
    }
    res.statusCode = verdict.status
    res.end(verdict.body)
  }
  return function ratecell(req, res, next) {
    let verdict
    try {
      verdict = limits.check(req)
    } catch (error) {
      next(error)
      return
    }
    if (typeof verdict.then === 'function') {
      verdict.then((v) => answer(res, next, v), next)
      return
    }
    answer(res, next, verdict)
  }
}

module.exports = { Limits, clientAddress, headerKey, rateLimit }
