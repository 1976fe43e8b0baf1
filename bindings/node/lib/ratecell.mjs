// ratecell as an ES module: the same objects as require('ratecell').
import ratecell from './ratecell.js'

export const {
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
} = ratecell
export default ratecell
