import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import { ProxyError } from '../errors.js'
import type { SignerSetup, SignResult, SignTask } from '../workers/sign.worker.js'

/**
 * Workers run compiled JavaScript: from `dist/session/` the worker sits beside us in
 * `dist/workers/`; when tests load `src/` through tsx, the built copy in `dist/` is used.
 */
const WORKER_FILE = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/workers/sign.worker.js', import.meta.url).href
  : new URL('../workers/sign.worker.js', import.meta.url).href

export interface SignerPoolOptions {
  /** Signing threads; default one per spare core, at most two (a warm cache signs almost nothing). */
  readonly threads?: number | undefined
  /** Tasks handed to a thread at once (it signs them one after another; more in its queue saves a round trip). */
  readonly tasksPerThread?: number | undefined
  /** Tasks waiting for a thread beyond those running; more is overload (503), never an unbounded queue. */
  readonly maxQueue?: number | undefined
}

/**
 * The piscina pool that signs JWTs off the event loop. The private key goes to each thread once
 * through `workerData`. Work beyond running + queued capacity is refused at once with
 * `ERR_SIGNING_OVERLOADED` (piscina's own queue-full error carries no code, so the bound is kept
 * here).
 */
export class SignerPool {
  readonly #pool: Piscina<SignTask, SignResult>
  readonly #capacity: number
  #pending = 0

  constructor(setup: SignerSetup, options: SignerPoolOptions = {}) {
    const threads = options.threads ?? Math.max(1, Math.min(2, availableParallelism() - 1))
    const tasksPerThread = options.tasksPerThread ?? 4
    const maxQueue = options.maxQueue ?? 1_024
    this.#capacity = threads * tasksPerThread + maxQueue
    this.#pool = new Piscina<SignTask, SignResult>({
      filename: WORKER_FILE,
      workerData: setup,
      minThreads: 1,
      maxThreads: threads,
      concurrentTasksPerWorker: tasksPerThread,
      maxQueue,
      idleTimeout: 30_000,
      recordTiming: false,
      // The parent's loader flags (tsx under tests) are not needed to run compiled workers.
      execArgv: [],
    })
  }

  /** Signs one token; rejects with `ERR_SIGNING_OVERLOADED` when the pool is full. */
  sign(task: SignTask): Promise<SignResult> {
    if (this.#pending >= this.#capacity) {
      return Promise.reject(
        new ProxyError('ERR_SIGNING_OVERLOADED', `the JWT signing pool is full (${this.#capacity} tokens in progress)`),
      )
    }
    this.#pending++
    return this.#pool.run(task).finally(() => this.#pending--)
  }

  /** Live worker threads (for tests: zero after {@link close}). */
  get threadCount(): number {
    return this.#pool.threads.length
  }

  /** Stops every thread, abandoning unfinished tasks. */
  close(): Promise<void> {
    return this.#pool.destroy()
  }
}
