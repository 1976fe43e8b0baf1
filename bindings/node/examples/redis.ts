// Limits shared by every process through Redis, type-checked by `tsc --strict` in `make test`.
import express from 'express'
import Redis from 'ioredis'
import { Burst, Gcra, TokenBucket } from 'ratecell'
import { headerKey, rateLimit } from 'ratecell/express'
import { RedisStore, RedisUnavailableError } from 'ratecell/redis'

const store = new RedisStore(new Redis('redis://127.0.0.1:6379'), { prefix: 'api', timeoutMs: 250 })

// The Free tier, one quota for every instance; if Redis goes away, each of 4 instances
// enforces a quarter of it on its own until Redis answers again.
const free = store.limiter('free', Burst.parse('100/minute burst 120', { burstWindowMs: 10_000 }), {
  onFailure: { share: 1 / 4 },
})
// Or a limiter of its own while Redis is away.
const search = store.limiter('search', new Gcra('600/minute'), { onFailure: new Gcra('100/minute') })
// A plan limit and an endpoint-group limit, all or nothing, in one round trip.
const analysis = store.allOf({ plan: new Gcra('60/minute'), analysis: new Gcra('30/minute') })

const app = express()
app.use(rateLimit({ rules: [{ limiter: analysis, path: '/v1/analysis' }, { limiter: free }], key: headerKey('X-API-Key') }))

async function spend(key: string): Promise<boolean> {
  try {
    return (await free.check(key)).allowed
  } catch (e) {
    if (e instanceof RedisUnavailableError) return false
    throw e
  }
}

export { app, search, spend }

async function upload(store: RedisStore, bytes: number): Promise<number> {
  const bandwidth = store.limiter('bytes', new TokenBucket('1000000/second'))
  const r = await bandwidth.reserve('uploads', bytes, { maxWaitMs: 2_000 })
  if (!r.committed) return -1
  return r.delayMs
}
void upload
