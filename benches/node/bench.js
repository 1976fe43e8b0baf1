'use strict'
// ns per check: ratecell's Gcra against rate-limiter-flexible's RateLimiterMemory (consume),
// in the same process, with one key and with 10,000 keys. Run with `make node-bench`.
//
// Both limiters are configured so that every request is admitted (a limit far above the
// traffic): the admitted path is what a healthy server runs. A second table measures the
// refused path (where rate-limiter-flexible rejects its promise).

const path = require('node:path')
const pkg = path.join(__dirname, '../../bindings/node')
const { Gcra } = require(pkg)
const { RateLimiterMemory } = require(path.join(pkg, 'node_modules/rate-limiter-flexible'))

const KEYS = Array.from({ length: 10_000 }, (_, i) => `api-key-${i}`)
const ONE = ['api-key-0']
const ROUNDS = 5

function nsPerOp(iterations, run) {
  const start = process.hrtime.bigint()
  run(iterations)
  return Number(process.hrtime.bigint() - start) / iterations
}

async function nsPerOpAsync(iterations, run) {
  const start = process.hrtime.bigint()
  await run(iterations)
  return Number(process.hrtime.bigint() - start) / iterations
}

function ratecellRun(limiter, keys) {
  return (n) => {
    let admitted = 0
    for (let i = 0; i < n; i++) {
      if (limiter.check(keys[i % keys.length]).allowed) admitted++
    }
    return admitted
  }
}

function flexibleRun(limiter, keys, refused) {
  return async (n) => {
    for (let i = 0; i < n; i++) {
      try {
        await limiter.consume(keys[i % keys.length])
      } catch (e) {
        if (!refused) throw e
      }
    }
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function scenario(name, keys, { refused }) {
  // Admitting: a burst of 10^9 at 1,000 per hour, so every request is admitted and every key
  // stays stored for the whole run, as rate-limiter-flexible keeps its keys for the hour
  // (a faster refill would make keys fresh between visits: ratecell would forget and
  // re-insert them, measuring table churn instead of checks). Refusing: 1 per hour, spent
  // during warm-up.
  const quota = refused ? '1/hour' : '1000/hour burst 1000000000'
  const points = refused ? 1 : 1e12
  const ours = new Gcra(quota, { maxKeys: 20_000 })
  const theirs = new RateLimiterMemory({ points, duration: 3600 })
  const oursRun = ratecellRun(ours, keys)
  const theirsRun = flexibleRun(theirs, keys, refused)
  // Warm up both (and store every key).
  oursRun(200_000)
  await theirsRun(200_000)
  const a = []
  const b = []
  for (let r = 0; r < ROUNDS; r++) {
    a.push(nsPerOp(2_000_000, oursRun))
    b.push(await nsPerOpAsync(refused ? 100_000 : 400_000, theirsRun))
  }
  const ns = median(a)
  const peer = median(b)
  console.log(
    `${name.padEnd(26)} ratecell ${ns.toFixed(0).padStart(5)} ns   rate-limiter-flexible ${peer
      .toFixed(0)
      .padStart(6)} ns   ratio ${(peer / ns).toFixed(1)}x`,
  )
  return peer / ns
}

async function main() {
  console.log(`Node ${process.version}, ${require('node:os').cpus()[0]?.model ?? 'unknown CPU'}`)
  console.log('ns per check (median of 5 rounds); ratio = rate-limiter-flexible / ratecell')
  await scenario('admitted, one key', ONE, { refused: false })
  await scenario('admitted, 10,000 keys', KEYS, { refused: false })
  await scenario('refused, one key', ONE, { refused: true })
  await scenario('refused, 10,000 keys', KEYS, { refused: true })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
