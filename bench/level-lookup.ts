/**
 * One second-level lookup, as a `--workers` worker makes it when its hot cache misses: through the
 * cluster primary over IPC (the real {@link IpcSessionLevel} in a `node:cluster` worker, the real
 * {@link LevelService} in the primary, both loaded from `dist/`), and through Redis on loopback
 * ({@link RedisSessionLevel} against a `redis-server` this program starts on a free port with
 * persistence off, and stops). LOOKUPS sequential lookups of present keys per kind, entries the
 * size of a real one (a 1,839-byte token), the kinds interleaved over ROUNDS rounds after a
 * warm-up; p50 and p99 in µs, median of the rounds. The worker is otherwise idle: under load its
 * event loop adds its own delay to either.
 *
 *   node --import tsx bench/level-lookup.ts          # a table
 *   node --import tsx bench/level-lookup.ts --json   # one JSON line (npm run bench -- --only level-lookup)
 */
import cluster, { type Worker } from 'node:cluster'
import { percentile } from './lib/cli-process.js'
import { startRedis } from './lib/redis-server.js'

type Modules = {
  levelService: typeof import('../src/cluster/level-service.js')
  ipcLevel: typeof import('../src/session/ipc-level.js')
  redisLevel: typeof import('../src/session/redis-level.js')
  redisClient: typeof import('../src/session/redis-client.js')
  cachedAnswer: typeof import('../src/session/cached-answer.js')
  logger: typeof import('../src/logger.js')
}

const LOOKUPS = 2_000
const WARMUP = 300
const ROUNDS = 5

/** The compiled module (what a worker runs), typed as its source. */
async function compiled<K extends keyof Modules>(path: string): Promise<Modules[K]> {
  return (await import(new URL(`../dist/${path}`, import.meta.url).href)) as Modules[K]
}

/** What the worker measured: per kind, p50 and p99 (µs) of every round. */
type Rows = Record<string, Array<{ p50: number; p99: number }>>

async function primary(): Promise<void> {
  const json = process.argv.includes('--json')
  const redis = await startRedis()
  const { LevelService } = await compiled<'levelService'>('cluster/level-service.js')
  const service = new LevelService(LOOKUPS + WARMUP + 100)
  let worker: Worker | undefined
  try {
    cluster.setupPrimary({ args: [] })
    worker = cluster.fork({ BENCH_REDIS_PORT: String(redis.port) })
    service.attach(worker)
    const started = worker
    const rows = await new Promise<Rows>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('level-lookup: no result in 120 s')), 120_000)
      started.on('message', (message: { t?: string; rows?: Rows; error?: string }) => {
        if (message?.t !== 'bench-result') return
        clearTimeout(timer)
        if (message.error !== undefined) reject(new Error(message.error))
        else resolve(message.rows!)
      })
      started.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the worker exited (${code})`))))
    })
    const median = (values: number[]) => percentile(values, 0.5)
    const figures: Record<string, number> = {}
    for (const [name, rounds] of Object.entries(rows)) {
      figures[`${name}P50`] = Math.round(median(rounds.map((r) => r.p50)) * 10) / 10
      figures[`${name}P99`] = Math.round(median(rounds.map((r) => r.p99)) * 10) / 10
    }
    if (json) console.log(JSON.stringify(figures))
    else {
      console.log(`${LOOKUPS} sequential lookups of present keys from a cluster worker, ${ROUNDS} interleaved rounds (µs, median of rounds)`)
      for (const name of Object.keys(rows)) {
        console.log(`${name.padEnd(16)} p50 ${figures[`${name}P50`]!.toFixed(1).padStart(6)}  p99 ${figures[`${name}P99`]!.toFixed(1).padStart(6)}`)
      }
    }
  } finally {
    if (worker !== undefined && !worker.isDead()) {
      const exited = new Promise((resolve) => worker!.once('exit', resolve))
      worker.kill()
      await exited
    }
    await service.close()
    await redis.stop()
  }
}

async function worker(): Promise<void> {
  const [{ IpcSessionLevel }, { RedisSessionLevel }, { createRedisClient }, { CachedAnswer }, { silentLogger }] = await Promise.all([
    compiled<'ipcLevel'>('session/ipc-level.js'),
    compiled<'redisLevel'>('session/redis-level.js'),
    compiled<'redisClient'>('session/redis-client.js'),
    compiled<'cachedAnswer'>('session/cached-answer.js'),
    compiled<'logger'>('logger.js'),
  ])
  const port = Number(process.env.BENCH_REDIS_PORT)
  const display = `redis://127.0.0.1:${port}/0`
  const store = { host: '127.0.0.1', port, username: undefined, password: undefined, db: 0, tls: false, display }
  const namespace = 'ory-proxy:v1:bench:'
  const ipc = new IpcSessionLevel(process)
  const client = createRedisClient(store)
  await client.connect()
  const redis = new RedisSessionLevel(client, { namespace, display, logger: silentLogger })
  const raw = createRedisClient(store)
  await raw.connect()

  // A real entry's size: `Bearer ` and a 1,839-byte token (bench/README: a realistic session).
  const later = Date.now() + 600_000
  const answer = new CachedAnswer(`Bearer ${'x'.repeat(1_839)}`, later, later, later, Number.POSITIVE_INFINITY)
  const keys = Array.from({ length: LOOKUPS + WARMUP }, (_, i) => `key-${i}`.padEnd(44, '='))
  for (const level of [ipc, redis]) {
    for (const key of keys) {
      const claim = await level.claim(key, 3_000)
      if (claim.kind !== 'lead') throw new Error(`expected to lead ${key}, got ${claim.kind}`)
      level.fill(key, answer, claim.lease)
    }
  }
  // Both channels are ordered: a lookup after the last fill sees every entry.
  await ipc.peek(keys.at(-1)!)
  await raw.ping()

  const found = (result: unknown) =>
    result !== undefined && !(typeof result === 'object' && result !== null && 'kind' in result && result.kind !== 'answer')
  const time = async (name: string, lookup: (key: string) => Promise<unknown>, present = true) => {
    for (const key of keys.slice(0, WARMUP)) await lookup(key)
    const samples: number[] = []
    for (const key of keys.slice(WARMUP)) {
      const began = process.hrtime.bigint()
      const result = await lookup(key)
      samples.push(Number(process.hrtime.bigint() - began) / 1_000)
      if (found(result) !== present) throw new Error(`${name}: ${key} ${present ? 'was not found' : 'was found'}`)
    }
    return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) }
  }

  const kinds: Array<[string, (key: string) => Promise<unknown>, boolean?]> = [
    // What a hot-cache miss asks: the entry, or the right to fill it.
    ['ipcClaim', (key) => ipc.claim(key, 3_000)],
    ['ipcPeek', (key) => ipc.peek(key)],
    // The round trip alone: a key the primary does not hold, nothing to encode or decode.
    ['ipcAbsent', (key) => ipc.peek(`absent-${key}`), false],
    ['redisClaim', (key) => redis.claim(key, 3_000)],
    ['redisPeek', (key) => redis.peek(key)],
    // The floor: one GET of the same entry through the same client, no decoding.
    ['redisGet', (key) => raw.get(`${namespace}e:${key}`).then((text) => text ?? undefined)],
  ]
  const rows: Rows = Object.fromEntries(kinds.map(([name]) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, lookup, present] of kinds) rows[name]!.push(await time(name, lookup, present ?? true))
  }
  await redis.close()
  raw.disconnect()
  process.send!({ t: 'bench-result', rows })
}

if (cluster.isPrimary) await primary()
else {
  await worker().catch((error: Error) => process.send!({ t: 'bench-result', error: error.stack ?? error.message }))
}
