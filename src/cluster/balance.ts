import type { Worker } from 'node:cluster'
import type { ProxyHandle } from '../server/proxy.js'
import type { PrimaryMessage, WorkerMessage } from './plan.js'

/**
 * Why this exists: workers accept connections themselves (SCHED_NONE: no hand-off through the
 * primary, which doubles the CPU of a new connection), and the kernel then wakes whichever worker
 * is idle first, so 50 keep-alive connections opened at once split 44/6 on two workers. Each
 * worker reports how many connections it holds; the primary answers with the fair share; a
 * worker well above it asks its excess to reconnect (GOAWAY, `Connection: close` after the next
 * response), and the reconnects mostly land on the less busy worker. Measured in bench/README.md.
 */

/** How often a worker looks at its connection count. */
const REPORT_MS = 250

/** Above the share by this much (at least 2 connections or 20 %) before anything is shed: no churn on small differences. */
export function sheddingThreshold(share: number): number {
  return share + Math.max(2, Math.ceil(share * 0.2))
}

/** The worker's half: reports its connections while it serves, sheds its excess when told the share. Returns the stop. */
export function reportConnections(proxy: ProxyHandle, send: (message: WorkerMessage) => void): {
  onShare(share: number): void
  stop(): void
} {
  // Sent every time, changed or not: a worker whose shed connections came straight back to it
  // (the kernel's choice) must hear the share again.
  const timer = setInterval(() => send({ t: 'connections', open: proxy.connections }), REPORT_MS).unref()
  return {
    onShare: (share) => {
      const open = proxy.connections
      if (open > sheddingThreshold(share)) proxy.shedConnections(open - share)
    },
    stop: () => clearInterval(timer),
  }
}

/** The primary's half: the fair share of connections per live worker, told to a worker after each report. */
export class ConnectionShares {
  readonly #open = new Map<Worker, number>()

  report(worker: Worker, open: number): void {
    this.#open.set(worker, open)
    let total = 0
    for (const count of this.#open.values()) total += count
    const share = Math.ceil(total / this.#open.size)
    const message: PrimaryMessage = { t: 'share', share }
    if (open > sheddingThreshold(share) && worker.isConnected()) worker.send(message)
  }

  remove(worker: Worker): void {
    this.#open.delete(worker)
  }
}
