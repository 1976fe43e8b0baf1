'use strict'
// Errors raised in JavaScript, with the same classes and codes as the native ones
// (src/error.rs): a TypeError for a value of the wrong type, a RangeError for a bad value.

const INVALID_ARG_TYPE = 'ERR_RATECELL_INVALID_ARG_TYPE'
const INVALID_ARG_VALUE = 'ERR_RATECELL_INVALID_ARG_VALUE'

function describe(value) {
  return value === null ? 'null' : typeof value
}

function typeError(message) {
  const e = new TypeError(message)
  e.code = INVALID_ARG_TYPE
  return e
}

function rangeError(message) {
  const e = new RangeError(message)
  e.code = INVALID_ARG_VALUE
  return e
}

/** `value` must be `expected` (checked by `ok`); `name` names it in the message. */
function expect(ok, name, expected, value) {
  if (!ok) throw typeError(`${name} must be ${expected}, got ${describe(value)}`)
}

/** An options object, or `{}` for undefined. */
function options(value, name = 'options') {
  if (value === undefined) return {}
  expect(typeof value === 'object' && value !== null && !Array.isArray(value), name, 'an object', value)
  return value
}

/** A number of milliseconds, at least 0, finite unless `infinite` is allowed. */
function milliseconds(value, name, { infinite = false } = {}) {
  expect(typeof value === 'number', name, 'a number of milliseconds', value)
  if (!(value >= 0) || (!infinite && value === Infinity)) {
    throw rangeError(`${name} must be a ${infinite ? '' : 'finite '}number of milliseconds from 0, got ${value}`)
  }
  return value
}

/** A whole number from `min` to Number.MAX_SAFE_INTEGER. */
function whole(value, name, min = 0) {
  expect(typeof value === 'number', name, 'a number', value)
  if (!Number.isSafeInteger(value) || value < min) {
    throw rangeError(`${name} must be an integer from ${min} to ${Number.MAX_SAFE_INTEGER}, got ${value}`)
  }
  return value
}

module.exports = {
  INVALID_ARG_TYPE,
  INVALID_ARG_VALUE,
  describe,
  expect,
  milliseconds,
  options,
  rangeError,
  typeError,
  whole,
}
