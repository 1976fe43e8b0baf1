// ratecell/express as an ES module: the same objects as require('ratecell/express').
import express from './express.js'

export const { Limits, clientAddress, headerKey, rateLimit } = express
export default rateLimit
