'use strict'
// Published API tiers enforced with ratecell, printing every decision and its headers.
//
// - Rekall's Free tier: 100 requests per minute per API key, bursts of 120 per minute
//   measured over 10 seconds; 429 with Retry-After and the legacy X-RateLimit-* fields.
// - Kallglot's Free/Test plan: 60 requests per minute with the Analysis group at 30/minute
//   (an AllOf of the plan and the group), 2 concurrent sessions, 100 WebSocket messages per
//   second, and a prepaid credit budget that answers 402 when it runs out.
//
// Run with `make demo` (or `node examples/tiers.js` once the module is built).

const ratecell = require('..')

// Decisions are made on a manual clock, so the output is the same on every run; the
// header timestamps are relative to this Unix time (milliseconds).
const EPOCH_MS = 1_706_284_800_000

function show(label, limiter, d, style = 'legacy') {
  const verdict = d.allowed ? 'allowed' : 'refused'
  const wait = d.retryAfterMs === Infinity ? 'never' : `${d.retryAfterMs}ms`
  console.log(`  ${label.padEnd(30)} ${verdict.padEnd(8)} remaining=${String(d.remaining).padEnd(4)} retryAfter=${wait}`)
  for (const [name, value] of Object.entries(limiter.headers(d, style, { nowMs: EPOCH_MS }))) {
    console.log(`      ${name}: ${value}`)
  }
  if (!d.allowed) {
    const body = d.retryAfterMs === Infinity
      ? ratecell.insufficientCreditsBody()
      : ratecell.rateLimitBody(d, { nowMs: EPOCH_MS, quota: limiter.policy.limit ?? d.limit })
    console.log(`      body: ${body}`)
  }
}

function rekallFreeTier() {
  console.log('Rekall Free tier: 100/minute, bursts of 120 over 10 seconds, per API key')
  const clock = new ratecell.ManualClock()
  const free = ratecell.Burst.parse('100/minute burst 120', { burstWindowMs: 10_000, clock })
  let admitted = 0
  for (let i = 0; i < 25; i++) admitted += free.check('rk_live_alice').allowed ? 1 : 0
  console.log(`  25 requests at t=0: ${admitted} admitted (the burst allows 120/minute over 10 s)`)
  show('request 26 at t=0', free, free.check('rk_live_alice'))
  clock.advance(600)
  show('request at t=600ms', free, free.check('rk_live_alice'))
  show('another key at t=600ms', free, free.check('rk_live_bob'), 'ietf')
}

function kallglotFreePlan() {
  console.log('Kallglot Free/Test plan: 60/minute, Analysis 30/minute, 2 sessions, 100 messages/second')
  const clock = new ratecell.ManualClock()
  const plan = new ratecell.Gcra('60/minute', { clock })
  const analysis = new ratecell.Gcra('30/minute', { clock })
  const api = new ratecell.AllOf({ plan, analysis }, { clock })
  for (let i = 0; i < 31; i++) {
    const d = api.check('kg_test_key')
    if (i === 0 || i === 29 || i === 30) show(`analysis request ${i + 1}`, api, d, 'draft-8')
  }
  console.log(`  the plan alone still has ${plan.peek('kg_test_key').remaining} requests left`)

  const sessions = new ratecell.Concurrency(2, { ttlMs: 300_000, clock })
  const first = sessions.acquire('kg_test_key')
  sessions.acquire('kg_test_key')
  show('session 3 while 2 are open', sessions, sessions.acquire('kg_test_key'))
  first.lease.release()
  show('session 3 after one ended', sessions, sessions.acquire('kg_test_key'))

  const messages = new ratecell.SlidingLog('100/second', { clock })
  let sent = 0
  for (let i = 0; i < 150; i++) sent += messages.check('socket-1').allowed ? 1 : 0
  console.log(`  150 WebSocket messages in one instant: ${sent} sent, the rest wait ${messages.check('socket-1').retryAfterMs}ms`)

  const credits = new ratecell.Credits(1000, { clock })
  show('analysis costing 588 credits', credits, credits.check('kg_test_key', 588))
  show('analysis costing 588 credits', credits, credits.check('kg_test_key', 588))
  console.log(`  top up 500: ${credits.topUp('kg_test_key', 500)} credits left`)
}

rekallFreeTier()
kallglotFreePlan()
