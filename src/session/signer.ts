import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import { DEFAULTS, type Upstream } from '../config.js'
import { ProxyError } from '../errors.js'
import type { SigningKey } from './keys.js'
import type { SignerSetup, SignResult, SignTask } from '../workers/sign.worker.js'

/**
 * Threads run the built CommonJS bundle of the worker (scripts/bundle-cli.mjs says why): from
 * `dist/session/`, or from the bundle's files one level under dist, it sits in `dist/workers/`;
 * when tests load `src/` through tsx, the built copy in `dist/` is used.
 */
const WORKER_FILE = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/workers/sign.worker.cjs', import.meta.url).href
  : new URL('../workers/sign.worker.cjs', import.meta.url).href

export interface SignerPoolOptions {
  /** Signing threads; default one per spare core, at most two (a warm cache signs almost nothing). */
  readonly threads?: number | undefined
  /** Tasks handed to a thread at once (it signs them one after another; more in its queue saves a round trip). */
  readonly tasksPerThread?: number | undefined
  /** Tasks waiting for a thread beyond those running; more is overload (503), never an unbounded queue. */
  readonly maxQueue?: number | undefined
}

/** Queued places renewals beside a served token may take at most ({@link SignerPool.besideLimit}). */
const BESIDE_QUEUE_MAX = 64

/** The throwaway token {@link SignerPool.ready} signs: a subject no session has, expired at once. */
const WARM_UP: SignTask = { sub: 'ory-proxy:warm-up', session: '{}', iat: 0, exp: 1, jti: 'warm-up' }

/**
 * The piscina pool that signs JWTs off the event loop. The private key goes to each thread once
 * through `workerData`. Work beyond running + queued capacity is refused at once with
 * `ERR_SIGNING_OVERLOADED` (piscina's own queue-full error carries no code, so the bound is kept
 * here).
 */
export class SignerPool {
  readonly #pool: Piscina<SignTask, SignResult>
  readonly #capacity: number
  /**
   * Renewals beside a token still being sent may take the threads' places and at most 64 queued
   * ones (half the queue when it is shorter): optional work, it must never fill the queue a request
   * waiting for its token needs, and such a request then waits behind at most that many.
   */
  readonly besideLimit: number
  #pending = 0
  #ready: Promise<void> | undefined = undefined

  constructor(setup: SignerSetup, options: SignerPoolOptions = {}) {
    const threads = options.threads ?? Math.max(1, Math.min(2, availableParallelism() - 1))
    const tasksPerThread = options.tasksPerThread ?? 4
    const maxQueue = options.maxQueue ?? 1_024
    this.#capacity = threads * tasksPerThread + maxQueue
    this.besideLimit = threads * tasksPerThread + Math.min(BESIDE_QUEUE_MAX, Math.floor(maxQueue / 2))
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

  /**
   * Resolves once a signing thread has loaded the key and signed (a throwaway token, never sent):
   * the pool is up, and the first real token does not pay for the thread's start. Rejects when the
   * threads cannot start.
   */
  ready(): Promise<void> {
    this.#ready ??= this.#pool.run(WARM_UP).then(() => undefined)
    return this.#ready
  }

  /** Tokens waiting for a signing thread (beyond those being signed). */
  get queueDepth(): number {
    return this.#pool.queueSize
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

/**
 * Starts the pool that signs with `key` for `ory`'s sessions (`iss`: the Ory URL without a trailing
 * slash, as ory proxy sets it). Its thread begins to boot at once, which takes 40-60 ms while the
 * main thread is loading modules: the CLI starts it as soon as the key exists, before the rest of
 * the proxy loads, so the first token does not wait for it (README: Start-up).
 */
export function startSignerPool(
  ory: Upstream,
  key: SigningKey,
  options: SignerPoolOptions & { readonly headerBudgetBytes?: number | undefined } = {},
): SignerPool {
  const { headerBudgetBytes, ...poolOptions } = options
  const setup: SignerSetup = {
    privateJwk: key.privateJwk,
    kid: key.kid,
    issuer: ory.origin + ory.pathPrefix,
    headerBudget: headerBudgetBytes ?? DEFAULTS.jwtHeaderBudgetBytes,
  }
  return new SignerPool(setup, poolOptions)
}
