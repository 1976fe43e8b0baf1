'use strict'
// Decisions per second through Redis: ratecell/redis against rate-limiter-flexible's
// RateLimiterRedis, on one redis-server of this run's own (loopback, no persistence), with
// one ioredis client awaiting each decision, and with 32 decisions in flight. Every request
// is admitted (a quota far above the traffic) over 1,000 keys. Run with `make node-bench`.

const path = require('node:path')
const pkg = path.join(__dirname, '../../bindings/node')
const Redis = require(path.join(pkg, 'node_modules/ioredis'))
const { RateLimiterRedis } = require(path.join(pkg, 'node_modules/rate-limiter-flexible'))
const { Gcra } = require(pkg)
const { RedisStore } = require(path.join(pkg, 'lib/redis.js'))
const { startServer, unavailable } = require(path.join(pkg, 'test/redis_server.js'))

const KEYS = Array.from({ length: 1000 }, (_, i) => `api-key-${i}`)
const N = 20_000

async function perSecond(inFlight, decide) {
  let next = 0
  const worker = async () => {
    while (next < N) await decide(KEYS[next++ % KEYS.length])
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: inFlight }, worker))
  return N / ((performance.now() - start) / 1000)
}

async function main() {
  const why = unavailable()
  if (why) {
    console.log(`skipped: ${why}`)
    return
  }
  const server = await startServer()
  const redis = new Redis({ host: '127.0.0.1', port: server.port })
  try {
    const ours = new RedisStore(redis, { prefix: 'bench' }).limiter('plan', new Gcra('1000000000/hour'))
    const theirs = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'bench-rlf', points: 1e9, duration: 3600 })
    const oursDecide = (k) => ours.check(k)
    const theirsDecide = (k) => theirs.consume(k)
    await perSecond(8, oursDecide)
    await perSecond(8, theirsDecide)
    console.log(`Node ${process.version}, redis-server on loopback; decisions per second, ${N} each; ratio = ratecell / rate-limiter-flexible`)
    for (const inFlight of [1, 32]) {
      const a = await perSecond(inFlight, oursDecide)
      const b = await perSecond(inFlight, theirsDecide)
      console.log(`${String(inFlight).padStart(2)} in flight   ratecell ${a.toFixed(0).padStart(6)}/s   rate-limiter-flexible ${b.toFixed(0).padStart(6)}/s   ratio ${(a / b).toFixed(2)}x`)
    }
  } finally {
    redis.disconnect()
    await server.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
