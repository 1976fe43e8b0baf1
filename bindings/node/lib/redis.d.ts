// Types of ratecell/redis (lib/redis.js).
import type { AllOfDecision, Concurrency, Decision, HeaderOptions, HeaderStyle, Limiter, ManualClock, Policy } from './ratecell.js'

/** What RedisStore needs of a client: ioredis's promise-based commands. */
export interface RedisClient {
  evalsha(sha: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>
  script(subcommand: 'LOAD', text: string): Promise<unknown>
}

export interface RedisStoreOptions {
  /** Keys are `<prefix>:{<key>}:<limiter name>`; default "ratecell". */
  prefix?: string
  /** A slower call counts as a failure; default 250. */
  timeoutMs?: number
  /** After a failure, Redis is left alone this long; default 1,000. */
  retryMs?: number
  /** The shortest life of a written key; default 0 (keys expire when fresh). */
  floorMs?: number
  /** The caller's clock; default: the Redis server's. */
  clock?: ManualClock
}

/**
 * What a limiter answers while Redis is unavailable: reject, admit, refuse, decide in this
 * process with a share of the quota, or with a limiter of its own.
 */
export type FailurePolicy = 'error' | 'open' | 'closed' | { share: number } | Limiter

/** Redis could not decide (unreachable, too slow, or left alone after a failure). */
export declare class RedisUnavailableError extends Error {
  readonly code: 'ERR_RATECELL_REDIS_UNAVAILABLE'
}

export interface RedisLease {
  readonly key: string | undefined
  release(): Promise<boolean>
  renew(): Promise<boolean>
}

export interface RedisReservation {
  readonly committed: boolean
  readonly delayMs: number
  readonly readyAtNs: bigint
  /** Gives the tokens back, once; the whole tokens returned. */
  cancel(): Promise<number>
}

export declare class RedisLimiter {
  readonly policy: Policy
  redisKey(key?: string): string
  check(key?: string, cost?: number | bigint): Promise<Decision>
  peek(key?: string): Promise<Decision>
  reset(key?: string): Promise<void>
  /** Credits only: the credits left. */
  topUp(key: string | undefined, amount: number | bigint): Promise<number>
  /** TokenBucket only: tokens taken ahead of their refill when they come within maxWaitMs. */
  reserve(key: string | undefined, cost?: number | bigint, options?: { maxWaitMs?: number }): Promise<RedisReservation>
  /** Concurrency only. */
  acquire(key?: string): Promise<Decision & { lease: RedisLease | null }>
  headers(decision: Decision, style?: HeaderStyle, options?: HeaderOptions): Record<string, string>
}

export declare class RedisAllOf {
  readonly policy: Policy
  check(key?: string, cost?: number | Partial<Record<string, number>>): Promise<AllOfDecision<string>>
  peek(key?: string): Promise<AllOfDecision<string>>
  reset(key?: string): Promise<void>
  headers(decision: Decision, style?: HeaderStyle, options?: HeaderOptions): Record<string, string>
}

export declare class RedisStore {
  constructor(redis: RedisClient, options?: RedisStoreOptions)
  key(name: string, key?: string): string
  readonly unavailable: boolean
  readonly retryInMs: number
  limiter(name: string, limiter: Limiter | Concurrency, options?: { onFailure?: FailurePolicy }): RedisLimiter
  allOf(members: Record<string, Limiter>, options?: { onFailure?: FailurePolicy }): RedisAllOf
}
