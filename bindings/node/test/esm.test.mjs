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
