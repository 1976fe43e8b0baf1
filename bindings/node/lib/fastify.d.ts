// Types of ratecell/fastify (lib/fastify.js).
import type { FastifyPluginCallback, FastifyRequest } from 'fastify'
import type { Limits, LimitsOptions, Rule } from './web.js'

export type { KeyFunction, LimitsOptions, RequestLike, Rule, Verdict } from './web.js'
export { Limits } from './web.js'
export { clientAddress, headerKey } from './web.js'

export type RatecellPluginOptions = LimitsOptions<FastifyRequest> | { limits: Limits<FastifyRequest> }

/** A route's own limit (`config: { ratecell: ... }`), or false to opt out. */
export type RouteLimit = Omit<Rule<FastifyRequest>, 'path' | 'methods'> | false

declare module 'fastify' {
  interface FastifyContextConfig {
    ratecell?: RouteLimit
  }
}

/** The plugin: limits every route of the instance that registers it. */
declare const ratecell: FastifyPluginCallback<RatecellPluginOptions>
export { ratecell }
export default ratecell
