/**
 * One second-level lookup against Redis on loopback, as a proxy's gate makes it on a hot-cache
 * miss: CLAIMS sequential `claim()`s of keys present in Redis through {@link RedisSessionLevel}
 * (one EVALSHA round trip), against a bare ioredis GET of the same entries (the floor) and
 * `peek()` (a GET through the level). p50 and p99 in µs, after a warm-up. Starts its own
 * `redis-server` on a free loopback port with persistence off and stops it.
 *
 *   node --import tsx bench/redis-level.ts
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { silentLogger } from '../src/logger.js'
import { CachedAnswer } from '../src/session/cached-answer.js'
import { createRedisClient } from '../src/session/redis-client.js'
import { RedisSessionLevel } from '../src/session/redis-level.js'
import { percentile } from './lib/cli-process.js'

const CLAIMS = 1_000
const WARMUP = 200
const ROUNDS = 3

const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address() as { port: number }
    probe.close(() => resolve(free))
  })
})
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
await new Promise<void>((resolve, reject) => {
  let output = ''
  server.stdout!.on('data', (data: Buffer) => {
    output += data.toString()
    if (output.includes('Ready to accept connections')) resolve()
  })
  server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)))
})

try {
  const store = { host: '127.0.0.1', port, username: undefined, password: undefined, db: 0, tls: false, display: `redis://127.0.0.1:${port}/0` }
  const client = createRedisClient(store)
  await client.connect()
  const level = new RedisSessionLevel(client, { namespace: 'ory-proxy:v1:bench:', display: store.display, logger: silentLogger })
  const raw = createRedisClient(store)
  await raw.connect()

  // Entries the size of a real one: a 1,839-byte token (bench/README: a realistic session).
  const token = `Bearer ${'x'.repeat(1_839)}`
  const keys = Array.from({ length: CLAIMS + WARMUP }, (_, i) => `key-${i}`.padEnd(44, '='))
  const later = Date.now() + 600_000
  for (const key of keys) {
    const lead = await level.claim(key, 3_000)
    if (lead.kind !== 'lead') throw new Error(`expected to lead ${key}, got ${lead.kind}`)
    level.fill(key, new CachedAnswer(token, later, later, later, Number.POSITIVE_INFINITY), lead.lease)
  }
  await raw.ping()

  const time = async (name: string, lookup: (key: string) => Promise<unknown>) => {
    for (const key of keys.slice(0, WARMUP)) await lookup(key)
    const samples: number[] = []
    for (const key of keys.slice(WARMUP)) {
      const began = process.hrtime.bigint()
      const result = await lookup(key)
      samples.push(Number(process.hrtime.bigint() - began) / 1_000)
      if (result === undefined || (typeof result === 'object' && result !== null && 'kind' in result && result.kind !== 'answer')) {
        throw new Error(`${name}: ${key} was not found`)
      }
    }
    samples.sort((a, b) => a - b)
    return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) }
  }

  const rows: Record<string, Array<{ p50: number; p99: number }>> = { 'claim': [], 'peek (GET, decoded)': [], 'bare GET': [] }
  for (let round = 0; round < ROUNDS; round++) {
    rows['claim']!.push(await time('claim', (key) => level.claim(key, 3_000)))
    rows['peek (GET, decoded)']!.push(await time('peek', (key) => level.peek(key)))
    rows['bare GET']!.push(await time('get', (key) => raw.get(`ory-proxy:v1:bench:e:${key}`).then((text) => text ?? undefined)))
  }
  console.log(`${CLAIMS} sequential lookups of present keys, Redis on loopback, ${ROUNDS} rounds (µs, median of rounds)`)
  for (const [name, results] of Object.entries(rows)) {
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    console.log(`${name.padEnd(22)} p50 ${median(results.map((r) => r.p50)).toFixed(0).padStart(5)}  p99 ${median(results.map((r) => r.p99)).toFixed(0).padStart(5)}`)
  }
  await level.close()
  raw.disconnect()
} finally {
  server.kill('SIGTERM')
}
