// ratecell/fastify as an ES module: the plugin is the default export.
import ratecell from './fastify.js'

export const { Limits, clientAddress, headerKey } = ratecell
export { ratecell }
export default ratecell
