// Types of what the Express middleware and the Fastify plugin share (lib/web.js).
import type { Concurrency, Decision, HeaderStyle, Lease, Limiter } from './ratecell.js'
import type { RedisAllOf, RedisLimiter } from './redis.js'

/** What a key function and a cost function see of a request (Express's and Fastify's have it). */
export interface RequestLike {
  method: string
  url?: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  ip?: string
}

/** Picks the key a request is limited under; undefined means the default key. */
export type KeyFunction<Req = RequestLike> = (req: Req) => string | undefined | null

/** A limit for the requests under `path` (and methods), charged `cost`. */
export interface Rule<Req = RequestLike> {
  limiter: Limiter | RedisLimiter | RedisAllOf
  path?: string
  methods?: string[]
  cost?: number | ((req: Req) => number)
}

export interface LimitsOptions<Req = RequestLike> {
  /** One limiter for every request (in this process, or in Redis). */
  limiter?: Limiter | RedisLimiter | RedisAllOf
  /** Its cost (with `limiter`). */
  cost?: number | ((req: Req) => number)
  /** Rules tried in order; the first match applies. */
  rules?: Rule<Req>[]
  /** Default: the client's address. */
  key?: KeyFunction<Req>
  /** A cap on requests in flight per key, released when the response finishes. */
  concurrency?: Concurrency | RedisLimiter
  /** Default 'ietf'; null sends only Retry-After. */
  headerStyle?: HeaderStyle | null
  /** Replaces the message of the 429 and 402 bodies. */
  message?: string
}

/** The verdict on a request. */
export interface Verdict {
  status: 200 | 402 | 429
  headers: Record<string, string>
  /** The JSON body of a refusal; null when the request proceeds. */
  body: string | null
  decision: Decision | null
  lease: Lease | null
}

export declare class Limits<Req = RequestLike> {
  constructor(options: LimitsOptions<Req>)
  /** A promise when the matching limiter is in Redis. */
  check(req: Req): Verdict | Promise<Verdict>
}

export declare function clientAddress(req: RequestLike): string | undefined
export declare function headerKey<Req extends RequestLike = RequestLike>(name: string, fallback?: KeyFunction<Req> | null): KeyFunction<Req>
