import test from 'node:test'
import assert from 'node:assert/strict'
import ratecell, { AllOf, Gcra, ManualClock } from '../lib/ratecell.mjs'
import { createRequire } from 'node:module'

test('the ES module exports the same classes as the CommonJS one', () => {
  const cjs = createRequire(import.meta.url)('..')
  assert.equal(Gcra, cjs.Gcra)
  assert.equal(ratecell.AllOf, AllOf)
  const g = new Gcra('2/second', { clock: new ManualClock() })
  assert.equal(g.check().remaining, 1)
})

test('the package names resolve from ES modules and CommonJS alike, with the framework entry points', async () => {
  const require = createRequire(import.meta.url)
  const esm = await import('ratecell')
  assert.equal(esm.Gcra, require('ratecell').Gcra)
  const express = await import('ratecell/express')
  assert.equal(express.rateLimit, require('ratecell/express').rateLimit)
  assert.equal(express.default, express.rateLimit)
  const fastify = await import('ratecell/fastify')
  assert.equal(fastify.default, require('ratecell/fastify'))
  assert.equal(typeof fastify.default, 'function')
})

test('the Redis entry point resolves from ES modules and CommonJS alike', async () => {
  const require = createRequire(import.meta.url)
  const esm = await import('ratecell/redis')
  assert.equal(esm.RedisStore, require('ratecell/redis').RedisStore)
})
