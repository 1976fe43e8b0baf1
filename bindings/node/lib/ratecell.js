'use strict'
// ratecell: exact rate limiting for API providers and their clients.
// The public API; see README.md and ratecell.d.ts.

const { Burst, Credits, FixedWindow, Gcra, Reservation, SlidingLog, SlidingWindow, TokenBucket } = require('./limiter')
const { Concurrency, Lease } = require('./concurrency')
const { AllOf } = require('./all_of')
const { ManualClock } = require('./time')
const { headers, insufficientCreditsBody, parseRateLimitHeaders, parseRetryAfter, rateLimitBody } = require('./http')
const { Backoff, Pacer, RetryPolicy, RetrySequence, fetchWithRetry } = require('./client')
const { native } = require('./native')

/** Parses a quota string (`"100/minute"`, `"1000 per hour"`, `"100/minute burst 120"`) into `{ limit, periodMs, burst }`. */
function parseQuota(quota) {
  return native.parseQuota(quota)
}

module.exports = {
  AllOf,
  Backoff,
  Burst,
  Concurrency,
  Credits,
  FixedWindow,
  Gcra,
  Lease,
  ManualClock,
  Pacer,
  Reservation,
  RetryPolicy,
  RetrySequence,
  SlidingLog,
  SlidingWindow,
  TokenBucket,
  fetchWithRetry,
  headers,
  insufficientCreditsBody,
  parseQuota,
  parseRateLimitHeaders,
  parseRetryAfter,
  rateLimitBody,
}
