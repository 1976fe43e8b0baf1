// The quick start of the README, type-checked by `tsc --strict` in `make test`.
import { AllOf, Concurrency, Credits, type Decision, Gcra, ManualClock } from 'ratecell'

const clock = new ManualClock()
const perKey = new Gcra('100/minute burst 120', { clock, maxKeys: 100_000 })

const d: Decision = perKey.check('rk_live_alice')
if (!d.allowed) console.log(`retry in ${d.retryAfterMs} ms`)
const fields: Record<string, string> = perKey.headers(d, 'legacy')
console.log(fields['X-RateLimit-Remaining'])

const plan = new Gcra({ limit: 60, periodMs: 60_000, clock })
const analysis = new Gcra({ limit: 30, periodMs: 60_000, clock })
const api = new AllOf({ plan, analysis })
const both = api.check('kg_test_key')
console.log(both.refusedBy, both.tightest)

const sessions = new Concurrency(2, { ttlMs: 300_000, clock })
const held = sessions.acquire('kg_test_key')
held.lease?.release()

const credits = new Credits(1000, { clock })
credits.check('kg_test_key', 588)
const left: number | null = credits.topUp('kg_test_key', 500)
console.log(left)

async function waitForTurn(signal: AbortSignal): Promise<Decision> {
  return perKey.acquire('rk_live_alice', { cost: 1, timeoutMs: 5_000, signal })
}
void waitForTurn(new AbortController().signal)
