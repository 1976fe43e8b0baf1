'use strict'
// Shared by the tests: assertions on ratecell's errors.

const assert = require('node:assert/strict')

/** `fn` throws a `cls` (TypeError or RangeError) with `code`. */
function throwsCode(fn, cls, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof cls, `expected a ${cls.name}, got ${e?.constructor?.name}: ${e?.message}`)
    assert.equal(e.code, code, e.message)
    assert.ok(e.message.length > 10, 'the message says what was expected')
    return true
  })
}

const TYPE = 'ERR_RATECELL_INVALID_ARG_TYPE'
const VALUE = 'ERR_RATECELL_INVALID_ARG_VALUE'
const QUOTA = 'ERR_RATECELL_INVALID_QUOTA'
const CAPACITY = 'ERR_RATECELL_INSUFFICIENT_CAPACITY'

module.exports = { CAPACITY, QUOTA, TYPE, VALUE, throwsCode }
