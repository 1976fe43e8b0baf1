// ratecell/redis as an ES module: the same objects as require('ratecell/redis').
import redis from './redis.js'

export const { RedisAllOf, RedisLimiter, RedisStore, RedisUnavailableError } = redis
