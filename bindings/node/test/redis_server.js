'use strict'
// Shared by the Redis tests: a real redis-server of their own, on a free loopback port,
// without persistence, stopped when the tests end. RATECELL_REDIS_SERVER names the binary
// (default redis-server). Without it the tests skip, unless CI or RATECELL_REDIS_REQUIRED
// is set: then they fail.

const { spawn, spawnSync } = require('node:child_process')
const net = require('node:net')

const BINARY = process.env.RATECELL_REDIS_SERVER || 'redis-server'

function required() {
  return ['CI', 'RATECELL_REDIS_REQUIRED'].some((n) => !['', '0', 'false', 'no', undefined].includes(process.env[n]?.trim()))
}

/** Why the Redis tests cannot run, or false when they can (throws when a server is required). */
function unavailable() {
  const ok = spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0
  if (ok) return false
  if (required()) throw new Error(`${BINARY} cannot be run, and CI (or RATECELL_REDIS_REQUIRED) requires it: apt-get install redis-server`)
  return `${BINARY} is not installed (apt-get install redis-server)`
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** A server on `port` (a free one by default): `{ port, stop() }`, resolved once it accepts connections. */
async function startServer(port) {
  const p = port ?? (await freePort())
  const child = spawn(BINARY, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', require('node:os').tmpdir()], { stdio: 'ignore' })
  const stopped = new Promise((resolve) => child.once('exit', resolve))
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => {
      const c = net.connect(p, '127.0.0.1', () => { c.end(); resolve(true) })
      c.once('error', () => resolve(false))
    })
    if (up) break
    await new Promise((r) => setTimeout(r, 25))
  }
  return {
    port: p,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL')
      await stopped
    },
  }
}

module.exports = { startServer, unavailable }
