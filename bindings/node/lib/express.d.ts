// Types of ratecell/express (lib/express.js).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Limits, LimitsOptions, RequestLike } from './web.js'

export type { KeyFunction, LimitsOptions, RequestLike, Rule, Verdict } from './web.js'
export { Limits } from './web.js'
export { clientAddress, headerKey } from './web.js'

/** A Connect-style middleware. */
export type Middleware = (req: IncomingMessage & RequestLike, res: ServerResponse, next: (error?: unknown) => void) => void

/** Enforces the limits on every request it sees. */
export declare function rateLimit<Req extends RequestLike = RequestLike>(options: LimitsOptions<Req> | { limits: Limits<Req> }): Middleware
export default rateLimit
