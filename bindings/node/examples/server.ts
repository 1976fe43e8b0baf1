// Express and Fastify servers limited by ratecell, type-checked by `tsc --strict` in `make test`.
import express from 'express'
import Fastify from 'fastify'
import { AllOf, Concurrency, Credits, Gcra } from 'ratecell'
import { headerKey, rateLimit } from 'ratecell/express'
import ratecell from 'ratecell/fastify'

const plan = new Gcra('60/minute', { maxKeys: 100_000 })
const analysis = new AllOf({ plan, analysis: new Gcra('30/minute') })
const sessions = new Concurrency(2, { ttlMs: 300_000 })
const credits = new Credits(1000)

const app = express()
app.use(rateLimit({
  rules: [
    { limiter: analysis, path: '/v1/analysis', methods: ['POST'] },
    { limiter: plan, path: '/v1' },
  ],
  key: headerKey('X-API-Key'),
  concurrency: sessions,
  headerStyle: 'legacy',
}))
app.post('/v1/credits/spend', rateLimit({ limiter: credits, cost: (req) => Number(req.headers['x-cost'] ?? 1) }), (req, res) => {
  res.json({ ok: true })
})

const server = Fastify()
void server.register(ratecell, { limiter: plan, key: headerKey('X-API-Key'), headerStyle: 'ietf' })
server.post('/v1/analysis', { config: { ratecell: { limiter: analysis } } }, async () => ({ ok: true }))
server.get('/health', { config: { ratecell: false } }, async () => 'up')

export { app, server }
