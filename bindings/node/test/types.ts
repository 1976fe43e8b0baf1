// Type tests: `tsc --strict` (make test) accepts the right uses and rejects the wrong ones.
import ratecell, {
  type AllOfDecision, type Decision, type LeaseDecision, type RateLimitInfo, type RetryStep,
  AllOf, Backoff, Burst, Concurrency, Credits, FixedWindow, Gcra, ManualClock, Pacer, RetryPolicy,
  SlidingLog, SlidingWindow, TokenBucket, fetchWithRetry, parseRateLimitHeaders, parseRetryAfter,
} from 'ratecell'
import { Limits, type Verdict } from 'ratecell/express'

const clock = new ManualClock(0)
const limiters = [
  new Gcra('5/second', { clock }),
  new TokenBucket({ limit: 5, periodMs: 1000, burst: 10, clock }),
  new FixedWindow('100/minute'),
  new SlidingWindow('100/minute', { maxKeys: 10, whenFull: 'evict' }),
  new SlidingLog('100/second', { entries: 1024 }),
  Burst.parse('100/minute burst 120', { burstWindowMs: 10_000 }),
  new Credits({ budget: 1000 }),
]
for (const l of limiters) {
  const d: Decision = l.check('k', 1)
  const n: number = d.retryAfterMs + d.resetAfterMs + d.limit + d.remaining
  void n
  l.reset('k')
}
const all = new AllOf({ a: limiters[0]!, b: limiters[1]! })
const ad: AllOfDecision = all.check('k', { a: 1, b: 2 })
void ad.refusedBy
const lease: LeaseDecision = new Concurrency(2, { ttlMs: 1000 }).acquire('k')
if (lease.lease !== null) lease.lease.release()
const waited: Promise<Decision> = limiters[0]!.acquire('k', { timeoutMs: 10, signal: AbortSignal.timeout(100) })
void waited

const info: RateLimitInfo = parseRateLimitHeaders(new Headers())
const wait: number | undefined = parseRetryAfter('30')
const step: RetryStep = new RetryPolicy({ jitter: 'full', seed: 1n }).start().decide(429)
if (step.action === 'retry') void step.afterMs
void new Backoff().next()
void new Pacer().delayMs(info)
void fetchWithRetry('http://127.0.0.1/', undefined, { retry: new RetryPolicy() })
void wait
void ratecell.Gcra

const verdict: Verdict | Promise<Verdict> = new Limits({ limiter: limiters[0]! }).check({ method: 'GET', url: '/', headers: {} })
if (!(verdict instanceof Promise)) void verdict.status

// @ts-expect-error: a cost is a number
limiters[0]!.check('k', '1')
// @ts-expect-error: Burst needs its window
new Burst('100/minute', {})
// @ts-expect-error: not a header style
limiters[0]!.headers(limiters[0]!.check(), 'draft-9')
// @ts-expect-error: Concurrency needs ttlMs
new Concurrency(2, {})
// @ts-expect-error: the clock is a ManualClock
new Gcra('1/second', { clock: Date })
