// ratecell: exact rate limiting for API providers and their clients.
// Hand-written types of the public API (lib/ratecell.js); the native half's are index.d.ts.

/** The outcome of a check: a plain object. A denial is a value, never an error. */
export interface Decision {
  /** Admitted and recorded. */
  allowed: boolean
  /** The policy's capacity. */
  limit: number
  /** Unit requests still admissible now. */
  remaining: number
  /** Wait until this same request would be admitted; 0 when allowed, Infinity when never. */
  retryAfterMs: number
  /** Wait until the key is back to a fresh state. */
  resetAfterMs: number
}

/** An AllOf decision: which member refused, and which is closest to refusing. */
export interface AllOfDecision<Name extends string | number = string | number> extends Decision {
  refusedBy: Name | null
  tightest: Name | null
  /**
   * Each member's own decision, in member order: the response fields list every member.
   * Absent from decisions taken through Redis (whose script replies with the combination).
   */
  members?: Decision[]
}

/** A Concurrency decision: the lease when allowed. */
export interface LeaseDecision extends Decision {
  lease: Lease | null
}

/** Response header styles. */
export type HeaderStyle = 'ietf' | 'draft-8' | 'draft-7' | 'draft-6' | 'legacy'

/** What a full table does with a new key. */
export type WhenFull = 'fail-closed' | 'evict'

/** Options every keyed limiter takes. */
export interface KeyedOptions {
  /** Most keys stored at once (memory bound). */
  maxKeys?: number
  /** What a full table does with a new key: refuse it (default) or evict the least recently fresh. */
  whenFull?: WhenFull
  /** The clock; the monotonic clock when left out. */
  clock?: ManualClock
}

/** Options of a rate limiter: a quota string, or limit and periodMs. */
export interface RateOptions extends KeyedOptions {
  quota?: string
  limit?: number
  periodMs?: number
  /** Unit requests a fresh key may make at one instant; default `limit`. */
  burst?: number
}

export interface BurstOptions extends RateOptions {
  /** The window of the short-term peak. */
  burstWindowMs: number
}

export interface SlidingLogOptions extends RateOptions {
  /** Requests a key's log holds; default `limit` (exact). */
  entries?: number
}

export interface CreditsOptions extends KeyedOptions {
  budget?: number | bigint
}

export interface ConcurrencyOptions extends KeyedOptions {
  limit?: number
  /** A lease expires this long after it was acquired or renewed. */
  ttlMs: number
}

export interface AcquireOptions {
  cost?: number
  /** Give up (resolving with the denial) when admission would take longer. */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface HeaderOptions {
  /** Unix milliseconds, for X-RateLimit-Reset; default Date.now(). */
  nowMs?: number
  name?: string
  quota?: number
  windowMs?: number
  unit?: string
  credits?: { remaining: number; used: number }
}

/**
 * What a policy's decisions advertise in header fields: a limit (`quota` units per `windowMs`,
 * 0 for none, counted in `unit`), or a credit balance (`X-API-Credits-*`, never a rate).
 */
export type Advertised =
  | { readonly kind: 'limit'; readonly quota: number; readonly windowMs: number; readonly unit: 'requests' | 'content-bytes' | 'concurrent-requests' }
  | { readonly kind: 'credits' }

/** The policy of a limiter. */
export interface Policy {
  readonly kind: string
  readonly capacity: number
  readonly maxKeys: number
  readonly limit?: number
  readonly periodMs?: number
  readonly burst?: number
  /** What its decisions advertise in header fields. */
  readonly advertised: Advertised
  readonly [name: string]: number | string | Advertised | undefined
}

/** What every limiter offers: one policy, a state per key. */
declare abstract class LimiterBase {
  /** Decides a request of `cost` (default 1; 0 peeks) for `key` (default: the default key). */
  check(key?: string, cost?: number): Decision
  /** The key's standing, recording nothing. */
  peek(key?: string): Decision
  /** Forgets `key`; whether it was stored. */
  reset(key?: string): boolean
  /** Forgets every key. */
  clear(): void
  /** How many keys are stored. */
  readonly size: number
  readonly policy: Policy
  /** The response header fields for a decision of this limiter. */
  headers(decision: Decision, style?: HeaderStyle, options?: HeaderOptions): Record<string, string>
}

/** Any ratecell limiter (a member of an AllOf, a middleware rule's limiter). */
export type Limiter = LimiterBase

/** A keyed limiter whose requests can wait their turn. */
declare abstract class KeyedLimiter extends LimiterBase {
  /** Waits until admitted; resolves with the denial on timeout, rejects only on abort. */
  acquire(key?: string, options?: AcquireOptions): Promise<Decision>
}

declare class RateLimiter<Options extends RateOptions = RateOptions> extends KeyedLimiter {
  constructor(quota: string, options?: Omit<Options, 'quota'>)
  constructor(options: Options)
}

export declare class Gcra extends RateLimiter {
  static parse(quota: string, options?: Omit<RateOptions, 'quota'>): Gcra
}
export interface TokenBucketOptions extends RateOptions {
  /** New keys start with an empty bucket (default false: full). */
  startsEmpty?: boolean
}

/** Tokens set aside by `TokenBucket.reserve`. */
export declare class Reservation {
  /** The tokens were taken: proceed after delayMs. */
  readonly committed: boolean
  readonly delayMs: number
  /** The instant to proceed, in nanoseconds on the limiter's clock. */
  readonly readyAtNs: bigint
  /** Gives the tokens back; the whole tokens returned. */
  cancel(): number
}

export declare class TokenBucket extends RateLimiter<TokenBucketOptions> {
  static parse(quota: string, options?: Omit<TokenBucketOptions, 'quota'>): TokenBucket
  /** Reserves tokens, waiting at most maxWaitMs for them; null when the key cannot be stored. */
  reserve(key?: string, cost?: number, options?: { maxWaitMs?: number }): Reservation | null
}
export declare class FixedWindow extends RateLimiter {
  static parse(quota: string, options?: Omit<RateOptions, 'quota'>): FixedWindow
}
export declare class SlidingWindow extends RateLimiter {
  static parse(quota: string, options?: Omit<RateOptions, 'quota'>): SlidingWindow
}
export declare class SlidingLog extends RateLimiter<SlidingLogOptions> {
  static parse(quota: string, options?: Omit<SlidingLogOptions, 'quota'>): SlidingLog
}
export declare class Burst extends RateLimiter<BurstOptions> {
  static parse(quota: string, options: Omit<BurstOptions, 'quota'>): Burst
}

/** A non-replenishing budget per key: exhaustion is a denial with retryAfterMs Infinity. */
export declare class Credits extends KeyedLimiter {
  constructor(budget: number | bigint, options?: Omit<CreditsOptions, 'budget'>)
  constructor(options: CreditsOptions)
  /** Adds credits; the credits left, or null when the key is new and no key can be stored. */
  topUp(key: string | undefined, amount: number): number | null
}

/** A lease on one key's slot. */
export declare class Lease {
  readonly key: string | undefined
  /** True when the lease was live and its slot is now free. */
  release(): boolean
  /** Extends a live lease by ttlMs from now. */
  renew(): boolean
}

/** Concurrency leases: at most `limit` in flight per key. */
export declare class Concurrency extends LimiterBase {
  constructor(limit: number, options: Omit<ConcurrencyOptions, 'limit'>)
  constructor(options: ConcurrencyOptions)
  acquire(key?: string): LeaseDecision
}

/** Several limiters as one, all or nothing. */
export declare class AllOf<Name extends string | number = string | number> extends KeyedLimiter {
  constructor(members: Limiter[], options?: { clock?: ManualClock })
  constructor(members: Record<string, Limiter>, options?: { clock?: ManualClock })
  readonly names: Name[]
  check(key?: string, cost?: number | number[] | Partial<Record<string, number>>): AllOfDecision<Name>
  peek(key?: string): AllOfDecision<Name>
}

/** A clock that moves only when told to, starting at 0. */
export declare class ManualClock {
  constructor(startMs?: number)
  readonly nowMs: number
  advance(ms: number): number
  set(ms: number): void
  nowNs(): bigint
  advanceNs(ns: bigint): bigint
  setNs(ns: bigint): void
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export interface RateLimitInfo {
  limit: number | undefined
  remaining: number | undefined
  resetMs: number | undefined
  windowMs: number | undefined
  retryAfterMs: number | undefined
  creditsRemaining: number | undefined
  creditsUsed: number | undefined
}

export type HeaderFields =
  | Headers
  | Map<string, string>
  | Array<[string, string]>
  | Record<string, string | string[] | undefined>

export declare function headers(decision: Decision, style?: HeaderStyle, options?: HeaderOptions): Record<string, string>
export declare function rateLimitBody(decision: Decision, options?: { quota?: number; nowMs?: number; message?: string }): string | null
export declare function insufficientCreditsBody(message?: string): string
export declare function parseRateLimitHeaders(headers: HeaderFields, options?: { nowMs?: number }): RateLimitInfo
export declare function parseRetryAfter(value: string, options?: { date?: string; nowMs?: number }): number | undefined
export declare function parseQuota(quota: string): { limit: number; periodMs: number; burst: number }

export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated'
export interface BackoffOptions {
  baseMs?: number
  capMs?: number
  jitter?: Jitter
  seed?: number | bigint
}

export declare class Backoff {
  constructor(options?: BackoffOptions)
  next(): number
  readonly attempt: number
  reset(): void
}

export type RetryStep =
  | { action: 'retry'; afterMs: number }
  | { action: 'stop' }
  | { action: 'top-up-credits' }
  | { action: 'give-up'; reason: 'attempts' | 'deadline' }

export type AttemptOutcome = { status: number; headers?: HeaderFields } | Response | number | Error

export declare class RetrySequence {
  decide(result: AttemptOutcome, options?: { nowMs?: number; atMs?: number }): RetryStep
  readonly attempts: number
}

export declare class RetryPolicy {
  constructor(options?: BackoffOptions & { maxAttempts?: number; maxElapsedMs?: number })
  start(options?: { atMs?: number }): RetrySequence
}

export declare class Pacer {
  constructor(options?: { lowWater?: number; lowWaterPercent?: number; always?: boolean })
  delayMs(info: Partial<RateLimitInfo>, options?: { nowMs?: number; receivedAtMs?: number }): number
}

export interface FetchWithRetryOptions {
  retry?: RetryPolicy
  pacer?: Pacer
  fetch?: typeof fetch
  signal?: AbortSignal
  onRetry?: (result: Response | Error, waitMs: number) => void
}

export declare function fetchWithRetry(input: string | URL | Request, init?: RequestInit, options?: FetchWithRetryOptions): Promise<Response>
