import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { MetricsSource } from './metrics-server.js'

/**
 * The metrics of a `--workers` cluster, as one scrape on the primary's listener: every worker's
 * metrics (prom-client JSON, fetched over the cluster's IPC by `workers`) and the primary's own
 * process metrics, added up with prom-client's cluster aggregation (`AggregatorRegistry.aggregate`:
 * counters and histograms summed, the event-loop lag averaged, the Node version taken once). The
 * fetch is the cluster's, not prom-client's `clusterMetrics()`: a worker that is starting, dying or
 * stuck is left out of one scrape after a deadline, instead of failing it.
 */
export class ClusterMetrics implements MetricsSource {
  readonly #registry = new Registry()
  readonly #workers: () => Promise<readonly object[][]>
  readonly #answered: Gauge

  /** `workers` resolves with the JSON metrics of each worker that answered in time. */
  constructor(workers: () => Promise<readonly object[][]>) {
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

  async text(): Promise<string> {
    const workers = await this.#workers()
    this.#answered.set(workers.length)
    const own = await this.#registry.getMetricsAsJSON()
    return AggregatorRegistry.aggregate([own, ...workers]).metrics()
  }
}
