import cluster, { type Worker } from 'node:cluster'
import module from 'node:module'
import { ProxyError, type ProxyErrorCode } from '../errors.js'
import type { Logger } from '../logger.js'
import { ConnectionShares } from './balance.js'
import { LevelService } from './level-service.js'
import type { PrimaryMessage, WorkerMessage, WorkerPlan } from './plan.js'

/**
 * Compiled JavaScript runs the workers; under tsx (tests) the built copy in `dist/` is used. The
 * path holds from any file one level under dist: this module's own, or the bundle's
 * (scripts/bundle-cli.mjs).
 */
const WORKER_FILE = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/cluster/worker.js', import.meta.url).pathname
  : new URL('../cluster/worker.js', import.meta.url).pathname

/**
 * The module compile cache bin/run.js turned on (Node 22.8+), handed to the workers: new processes
 * that load the proxy's modules again, and would compile every one of them without it. Empty when
 * there is none (Node 20, `NODE_DISABLE_COMPILE_CACHE=1`, or a library caller that never turned it on).
 */
function compileCacheEnv(): Record<string, string> {
  const dir = (module as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.()
  return dir === undefined ? {} : { NODE_COMPILE_CACHE: dir }
}

/** After its drain deadline, a worker gets this long to exit before it is killed. */
const EXIT_GRACE_MS = 2_000
/** Replacements of workers that keep dying before they are ready wait longer each time, up to this. */
const MAX_RESTART_DELAY_MS = 10_000

export type Scheduling = 'round-robin' | 'os'

export interface ClusterOptions {
  readonly workers: number
  readonly plan: WorkerPlan
  /**
   * Who accepts connections: each worker itself (`os`, the default: a new connection costs no
   * more than in one process; the workers balance keep-alive connections, see balance.ts), or
   * the primary, handing them out in turn (`round-robin`: twice the CPU per new connection).
   */
  readonly scheduling: Scheduling
  readonly logger: Logger
}

/** A running cluster: `close()` drains every worker (as a single proxy drains) and resolves once all exited. */
export interface ClusterHandle {
  /**
   * The metrics of every ready worker (prom-client JSON), fetched over IPC; a worker that has not
   * answered within `deadlineMs` (starting, dying, stuck) is left out.
   */
  workerMetrics(deadlineMs: number): Promise<WorkerScrape>
  close(): Promise<void>
}

/** One scrape of the workers: what each that answered in time said, by worker id, and which workers are alive. */
export interface WorkerScrape {
  readonly answers: ReadonlyMap<number, object[]>
  readonly live: ReadonlySet<number>
}

/** A scrape in flight: the workers yet to answer, and what the others said. */
interface Scrape {
  readonly waiting: Set<Worker>
  readonly answers: Map<number, object[]>
  readonly done: () => void
}

/**
 * Starts `workers` processes serving `plan` on one port and resolves once every one listens. The
 * first worker error at start (port in use, ...) rejects with that error, once, after stopping the
 * rest. Afterwards a worker that dies is replaced while the others keep serving.
 */
export async function startCluster(options: ClusterOptions): Promise<ClusterHandle> {
  const { plan, logger } = options
  // Frozen at the first setupPrimary(); Node's NODE_CLUSTER_SCHED_POLICY is overridden here.
  cluster.schedulingPolicy = options.scheduling === 'os' ? cluster.SCHED_NONE : cluster.SCHED_RR
  cluster.setupPrimary({ exec: WORKER_FILE, args: [] })
  // With a session store the workers share their level through Redis, not through this process.
  const service =
    plan.session === undefined || plan.session.settings.store !== undefined ? undefined : new LevelService(plan.session.settings.cacheSize)
  const shares = new ConnectionShares()
  const live = new Set<Worker>()
  /** Workers that said they serve: those a scrape asks. */
  const ready = new Set<Worker>()
  const scrapes = new Map<number, Scrape>()
  let scrapeIds = 0
  let stopping = false
  let started = false
  let failures = 0

  const workerEnv = compileCacheEnv()
  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(workerEnv)
      live.add(worker)
      service?.attach(worker)
      // A message to a worker that just died fails with EPIPE; its 'exit' below says what matters.
      worker.on('error', () => {})
      worker.on('message', (message: WorkerMessage) => {
        if (message?.t === 'waiting') send(worker, { t: 'plan', plan })
        else if (message?.t === 'connections') shares.report(worker, message.open)
        else if (message?.t === 'metrics') answerScrape(worker, message.id, message.metrics)
        else if (message?.t === 'ready') {
          ready.add(worker)
          resolve(worker)
        } else if (message?.t === 'failed') reject(new ProxyError(message.code as ProxyErrorCode, message.message))
      })
      // A worker that could not send its error (crashed while loading) still fails the start.
      worker.once('exit', (code, signal) => {
        live.delete(worker)
        ready.delete(worker)
        for (const id of scrapes.keys()) answerScrape(worker, id, undefined)
        shares.remove(worker)
        service?.detach(worker)
        reject(new ProxyError('ERR_WORKER', `a worker exited (${signal ?? `code ${code}`}) before it was ready`))
        if (!stopping && started) replace(worker, code, signal)
      })
    })

  const replace = (dead: Worker, code: number | null, signal: string | null): void => {
    logger.warn(`worker ${dead.id} exited (${signal ?? `code ${code}`}); starting another`)
    const delay = failures === 0 ? 0 : Math.min(100 * 2 ** failures, MAX_RESTART_DELAY_MS)
    setTimeout(() => {
      if (stopping) return
      fork().then(
        () => {
          failures = 0
        },
        (error: ProxyError) => {
          failures++
          logger.warn(`a replacement worker failed: ${error.message}`)
        },
      )
    }, delay).unref()
  }

  const answerScrape = (worker: Worker, id: number, metrics: object[] | undefined): void => {
    const scrape = scrapes.get(id)
    if (scrape === undefined || !scrape.waiting.delete(worker)) return
    if (metrics !== undefined) scrape.answers.set(worker.id, metrics)
    if (scrape.waiting.size === 0) scrape.done()
  }

  const workerMetrics = (deadlineMs: number): Promise<WorkerScrape> =>
    new Promise((resolve) => {
      const id = ++scrapeIds
      const scrape: Scrape = {
        waiting: new Set([...ready].filter((worker) => worker.isConnected())),
        answers: new Map(),
        done: () => {
          clearTimeout(timer)
          scrapes.delete(id)
          resolve({ answers: scrape.answers, live: new Set([...live].map((worker) => worker.id)) })
        },
      }
      const timer = setTimeout(scrape.done, deadlineMs)
      scrapes.set(id, scrape)
      if (scrape.waiting.size === 0) return scrape.done()
      for (const worker of scrape.waiting) send(worker, { t: 'metrics', id })
    })

  const stop = async (): Promise<void> => {
    stopping = true
    const exits = [...live].map((worker) => new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve()
      worker.once('exit', () => resolve())
      const kill = setTimeout(() => worker.process.kill('SIGKILL'), plan.config.timeouts.shutdownMs + EXIT_GRACE_MS)
      worker.once('exit', () => clearTimeout(kill))
      send(worker, { t: 'close' })
    }))
    await Promise.all(exits)
    await service?.close()
  }

  try {
    await Promise.all(Array.from({ length: options.workers }, fork))
  } catch (error) {
    await stop()
    throw error
  }
  started = true
  let closing: Promise<void> | undefined
  return { workerMetrics, close: () => (closing ??= stop()) }
}

function send(worker: Worker, message: PrimaryMessage): void {
  if (!worker.isConnected()) return
  try {
    worker.send(message)
  } catch {
    // It is exiting; its 'exit' says the rest.
  }
}
