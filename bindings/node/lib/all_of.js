'use strict'
// AllOf: several limiters checked as one. Every member admits and records, or nothing
// changes. Members are given as limiters in an array, or in an object to name them; each
// keeps its own keys, so a member shared by several AllOfs (a plan limit under every endpoint
// group) counts every request of each, and can still be checked on its own.

const { native, out } = require('./native')
const { expect, options: optionsObject, rangeError, typeError } = require('./error')
const { KeyedLimiter, clockOf, nativeOf } = require('./limiter')
const { allOfHeaders } = require('./http')

/**
 * Several limiters as one, all or nothing: `new AllOf([plan, endpoint])` or
 * `new AllOf({ messages, bytes })`. `check(key, cost)` charges every member `cost`;
 * `check(key, [1, 1500])` or `check(key, { messages: 1, bytes: 1500 })` gives each member its
 * own cost, and a member charged 0 is left out of the request. Decisions add `refusedBy`
 * (the member that refused: its name, or index; `null` when allowed) and `tightest` (the
 * member closest to refusing).
 */
class AllOf extends KeyedLimiter {
  #names
  #members
  #checkCosts
  #check

  constructor(members, options) {
    const opts = optionsObject(options)
    expect(typeof members === 'object' && members !== null, 'members', 'an array or object of limiters', members)
    const named = !Array.isArray(members)
    const names = named ? Object.keys(members) : members.map((_, i) => i)
    const list = named ? Object.values(members) : members
    const natives = list.map((m, i) => {
      expect(m instanceof KeyedLimiter, `member ${names[i]}`, 'a ratecell limiter', m)
      return nativeOf(m)
    })
    // Members read one clock, which the AllOf reads too.
    const clocks = new Set(list.map((m) => clockOf(m)))
    if (clocks.size > 1) throw rangeError('AllOf members must read the same clock')
    const [clock] = clocks
    if (opts.clock !== undefined && opts.clock !== clock) throw typeError('an AllOf reads its members\' clock: leave clock out')
    super((c) => native.createAllOf(natives, {}, c), { clock })
    this.#names = names
    this.#members = list
    this.#checkCosts = nativeOf(this).checkCosts
    this.#check = nativeOf(this).check
  }

  /** The member names (an object's keys), or indices. */
  get names() {
    return this.#names.slice()
  }

  #decision() {
    const refused = out[5]
    const members = []
    for (let i = 0, at = 8; i < this.#names.length; i++, at += 5) {
      members.push({
        allowed: out[at] === 1,
        limit: out[at + 1],
        remaining: out[at + 2],
        retryAfterMs: out[at + 3],
        resetAfterMs: out[at + 4],
      })
    }
    return {
      allowed: out[0] === 1,
      limit: out[1],
      remaining: out[2],
      retryAfterMs: out[3],
      resetAfterMs: out[4],
      refusedBy: refused < 0 ? null : this.#names[refused],
      tightest: out[6] < 0 ? null : this.#names[out[6]],
      members,
    }
  }

  #costs(cost) {
    if (Array.isArray(cost)) return cost
    const costs = this.#names.map(() => 0)
    for (const [name, value] of Object.entries(cost)) {
      const i = this.#names.indexOf(name)
      if (i < 0) throw rangeError(`no member named ${JSON.stringify(name)}; members: ${this.#names.join(', ')}`)
      costs[i] = value
    }
    return costs
  }

  /** Decides a request for `key`; `cost` is a number for every member, or one per member. */
  check(key, cost) {
    if (typeof cost === 'object' && cost !== null) {
      this.#checkCosts(key, this.#costs(cost))
    } else {
      this.#check(key, cost)
    }
    return this.#decision()
  }

  /** The key's standing in every member, recording nothing. */
  peek(key) {
    super.peek(key)
    return this.#decision()
  }

  /**
   * The header fields for a decision of this AllOf: every member is a policy of its own,
   * named after the member, in the same fields (`RateLimit-Policy: "plan";q=60;w=60,
   * "analysis";q=30;w=60`); the single-policy styles report the member that refused, or else
   * the tightest. A credits member adds the credit fields.
   */
  headers(decision, style = 'ietf', options) {
    return allOfHeaders(this.#members.map((m) => m.policy), this.#names, decision, style, options)
  }
}

module.exports = { AllOf }
