import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { WorkerScrape } from '../cluster/primary.js'
import type { MetricsSource } from './metrics-server.js'

/** The metric types that only ever go up, as a Prometheus counter must between restarts of the process serving it. */
const MONOTONIC = new Set(['counter', 'histogram'])

const monotonicOf = (metrics: readonly object[]): object[] => metrics.filter((metric) => MONOTONIC.has((metric as { type?: string }).type ?? ''))

/**
 * The metrics of a `--workers` cluster, as one scrape on the primary's listener: every worker's
 * metrics (prom-client JSON, fetched over the cluster's IPC by `workers`) and the primary's own
 * process metrics, added up with prom-client's cluster aggregation (`AggregatorRegistry.aggregate`:
 * counters and histograms summed, the event-loop lag averaged, the Node version taken once). The
 * fetch is the cluster's, not prom-client's `clusterMetrics()`: a worker that is starting, dying or
 * stuck is left out of one scrape after a deadline, instead of failing it.
 *
 * The cluster's counters and histograms never go down, as Prometheus requires of a counter that
 * has not restarted (the primary has not): a worker that misses a scrape adds what it said at its
 * last one, and a worker that exited adds its last figures for good. Summed as they come, a missed
 * scrape or a replaced worker would make every counter drop, which `rate()` reads as a restart and
 * turns into a spike of the whole count.
 */
export class ClusterMetrics implements MetricsSource {
  readonly #registry = new Registry()
  readonly #workers: () => Promise<WorkerScrape>
  readonly #answered: Gauge
  /** Each live worker's counters and histograms as it last reported them, by worker id. */
  readonly #last = new Map<number, object[]>()
  /** The counters and histograms of the workers that exited, added up. */
  #exited: object[] = []
  /** Scrapes one after another, so a worker's exit is added to {@link #exited} exactly once before the next reads it. */
  #previous: Promise<unknown> = Promise.resolve()

  /** `workers` resolves with the JSON metrics of each worker that answered in time, and the live workers. */
  constructor(workers: () => Promise<WorkerScrape>) {
    this.#workers = workers
    this.#answered = new Gauge({
      name: 'ory_proxy_workers',
      help: 'Worker processes whose figures this scrape adds up (fewer than --workers while one is replaced).',
      registers: [this.#registry],
    })
    collectDefaultMetrics({ register: this.#registry })
  }

  get contentType(): string {
    return this.#registry.contentType
  }

  text(): Promise<string> {
    const text = this.#previous.then(() => this.#scrape())
    this.#previous = text.catch(() => {})
    return text
  }

  async #scrape(): Promise<string> {
    const { answers, live } = await this.#workers()
    this.#answered.set(answers.size)
    for (const [id, metrics] of answers) this.#last.set(id, monotonicOf(metrics))
    const missing: object[][] = []
    const exited: object[][] = []
    for (const [id, metrics] of this.#last) {
      if (answers.has(id)) continue
      if (live.has(id)) missing.push(metrics)
      else {
        exited.push(metrics)
        this.#last.delete(id)
      }
    }
    if (exited.length > 0) this.#exited = await AggregatorRegistry.aggregate([this.#exited, ...exited]).getMetricsAsJSON()
    const own = await this.#registry.getMetricsAsJSON()
    return AggregatorRegistry.aggregate([own, ...answers.values(), ...missing, this.#exited]).metrics()
  }
}
