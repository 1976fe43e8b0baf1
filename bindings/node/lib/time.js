'use strict'
// Clocks. Limiters read the operating system's monotonic clock unless given a ManualClock;
// waiting (`acquire`) sleeps on the same clock: real timers, or the manual clock's own
// advance().

const { native } = require('./native')
const { expect, milliseconds } = require('./error')

const NATIVE = Symbol('ratecell.nativeClock')

function abortReason(signal) {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

/** The monotonic clock: performance.now() for elapsed time, setTimeout to wait. */
const monotonic = {
  get nowMs() {
    return performance.now()
  },
  /** Resolves after `ms` milliseconds (exactly that long a timer, no polling). */
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal))
      const onAbort = () => {
        clearTimeout(timer)
        reject(abortReason(signal))
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
}

/** Nanoseconds in `ms` milliseconds, as a bigint (rounded to the nearest nanosecond). */
function nanos(ms) {
  return BigInt(Math.round(ms * 1e6))
}

/**
 * A clock that moves only when told to, starting at 0: for tests, simulations and replays.
 * Pass it as `{ clock }` to any limiter. `acquire()` on a limiter with a manual clock waits
 * for the clock to be advanced, not for real time.
 */
class ManualClock {
  #native = new native.NativeClock()
  /** Sleepers waiting for an instant, as `{ at: bigint, resolve }`. */
  #sleepers = []

  /** A clock at `startMs` milliseconds (default 0). */
  constructor(startMs) {
    if (startMs !== undefined) this.set(startMs)
  }

  /** The current time in milliseconds. */
  get nowMs() {
    return this.#native.nowMs()
  }

  /** Moves the clock forward by `ms` milliseconds; returns the new time in milliseconds. */
  advance(ms) {
    const now = this.#native.advance(ms)
    this.#wake()
    return now
  }

  /** Sets the clock to `ms` milliseconds, forwards or backwards. */
  set(ms) {
    this.#native.set(ms)
    this.#wake()
  }

  /** The current time in nanoseconds (exact). */
  nowNs() {
    return this.#native.nowNs()
  }

  /** Moves the clock forward by `ns` nanoseconds (a bigint); returns the new time. */
  advanceNs(ns) {
    expect(typeof ns === 'bigint', 'ns', 'a bigint', ns)
    const now = this.#native.advanceNs(ns)
    this.#wake()
    return now
  }

  /** Sets the clock to `ns` nanoseconds (a bigint). */
  setNs(ns) {
    expect(typeof ns === 'bigint', 'ns', 'a bigint', ns)
    this.#native.setNs(ns)
    this.#wake()
  }

  /** Resolves once the clock has been advanced by `ms` milliseconds from now. */
  sleep(ms, signal) {
    milliseconds(ms, 'ms')
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal))
      const sleeper = { at: this.#native.nowNs() + nanos(ms), resolve: undefined }
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper)
        reject(abortReason(signal))
      }
      sleeper.resolve = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      this.#sleepers.push(sleeper)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#wake()
    })
  }

  #wake() {
    if (this.#sleepers.length === 0) return
    const now = this.#native.nowNs()
    const due = this.#sleepers.filter((s) => s.at <= now)
    if (due.length === 0) return
    this.#sleepers = this.#sleepers.filter((s) => s.at > now)
    for (const s of due) s.resolve()
  }

  /** The native clock, for limiters. */
  get [NATIVE]() {
    return this.#native
  }
}

/** The clock in `options.clock`: a ManualClock, or undefined (monotonic). */
function clockOption(value) {
  if (value === undefined) return undefined
  if (!(value instanceof ManualClock)) {
    throw Object.assign(new TypeError('clock must be a ManualClock, or left out for the monotonic clock'), {
      code: 'ERR_RATECELL_INVALID_ARG_TYPE',
    })
  }
  return value
}

/**
 * Waits, by the limiter's clock, until `attempt()` (which returns a decision) is admitted,
 * at most `timeoutMs`; resolves with the last decision (a denial after the timeout, or
 * straight away when no wait can admit it). Rejects only when `signal` aborts.
 */
async function waitFor(clock, attempt, timeoutMs, signal) {
  const timer = clock ?? monotonic
  const started = timer.nowMs
  for (;;) {
    if (signal?.aborted) throw abortReason(signal)
    const d = attempt()
    if (d.allowed) return d
    if (!(d.retryAfterMs <= timeoutMs - (timer.nowMs - started))) return d
    await timer.sleep(d.retryAfterMs, signal)
  }
}

/** `{ cost, timeoutMs, signal }` for acquire(). */
function acquireOptions(value) {
  if (value === undefined) return { cost: undefined, timeoutMs: Infinity, signal: undefined }
  expect(typeof value === 'object' && value !== null, 'options', 'an object', value)
  const { cost, timeoutMs = Infinity, signal } = value
  milliseconds(timeoutMs, 'timeoutMs', { infinite: true })
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    expect(false, 'signal', 'an AbortSignal', signal)
  }
  for (const name of Object.keys(value)) {
    if (name !== 'cost' && name !== 'timeoutMs' && name !== 'signal') {
      throw Object.assign(new TypeError(`unknown option ${JSON.stringify(name)}; expected cost, timeoutMs or signal`), {
        code: 'ERR_RATECELL_INVALID_ARG_TYPE',
      })
    }
  }
  return { cost, timeoutMs, signal }
}

module.exports = { ManualClock, NATIVE, acquireOptions, clockOption, monotonic, waitFor }
