import cluster from 'node:cluster'
import { isProxyError } from '../errors.js'
import { keepHeapFloor } from '../heap-floor.js'
import { createLogger } from '../logger.js'
import type { ProxyMetrics } from '../observability/metrics.js'
import { combineObservers } from '../observability/observers.js'
import { RequestLog } from '../observability/request-log.js'
import type { ProxyHandle } from '../server/proxy.js'
import type { SignerPool } from '../session/signer.js'
import { reportConnections } from './balance.js'
import type { PrimaryMessage, WorkerMessage, WorkerPlan } from './plan.js'

/**
 * A cluster worker's entry: waits for the primary's plan, serves it exactly as a single process
 * would (its own fronts, pools and signing threads; the key and shared session level are the
 * primary's), and closes when told or when the primary is gone.
 */

let proxy: ProxyHandle | undefined
let requestLog: RequestLog | undefined
let metrics: ProxyMetrics | undefined
let balance: ReturnType<typeof reportConnections> | undefined
let closing: Promise<void> | undefined

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message)
}

function close(): Promise<void> {
  balance?.stop()
  closing ??= (proxy?.close() ?? Promise.resolve())
    .finally(() => requestLog?.close())
    .finally(() => {
      if (process.connected) process.disconnect()
    })
  return closing
}

async function serve(plan: WorkerPlan): Promise<void> {
  let signerPool: SignerPool | undefined
  let gate
  try {
    // The signing thread boots while the rest loads (startSignerPool).
    if (plan.session !== undefined) signerPool = (await import('../session/signer.js')).startSignerPool(plan.config.ory, plan.session.key)
    const fields = { worker: cluster.worker!.id, pid: process.pid }
    // Each worker writes its own lines to the stderr they share (whole lines, never interleaved).
    requestLog = await RequestLog.open({ format: plan.config.observe.requestLog, debug: plan.log.debug, fields })
    const logger = createLogger({ ...plan.log, events: requestLog?.event, fields })
    // With --metrics the primary serves them, adding up what each worker counts.
    metrics = plan.config.observe.metrics === undefined ? undefined : new (await import('../observability/metrics.js')).ProxyMetrics()
    if (plan.session !== undefined) {
      const { settings, key } = plan.session
      const [{ openSessionGate }, level] = await Promise.all([
        import('../session/gate.js'),
        // With a session store each worker talks to Redis itself; else to the primary's level.
        settings.store === undefined
          ? import('../session/ipc-level.js').then(({ IpcSessionLevel }) => new IpcSessionLevel(process))
          : import('../session/redis-store.js').then((store) => store.openWorkerLevel(settings.store!, key, logger, settings.jwkFile === undefined)),
      ])
      gate = openSessionGate(plan.config, settings, logger, { key, level, signerPool: signerPool! }, metrics)
    }
    const { startProxyServer } = await import('../server/proxy.js')
    proxy = await startProxyServer(plan.config, {
      logger,
      gate,
      oryRequest: plan.oryRequest,
      observer: combineObservers(requestLog, metrics),
      viaPseudonym: plan.viaPseudonym,
    })
    metrics?.watch({ proxy, gate, log: requestLog })
    balance = reportConnections(proxy, send)
    // Ready, for the health check, includes signing.
    if (metrics !== undefined) await gate?.ready()
    send({ t: 'ready' })
  } catch (error) {
    send({
      t: 'failed',
      code: isProxyError(error) ? error.code : 'ERR_WORKER',
      message: error instanceof Error ? error.message : String(error),
    })
    // A gate that exists owns the signing pool (the proxy closes it when it cannot start).
    if (gate === undefined) await signerPool?.close()
    await close()
  }
}

async function answerScrape(id: number): Promise<void> {
  if (metrics !== undefined) send({ t: 'metrics', id, metrics: await metrics.json() })
}

// The primary owns shutdown: Ctrl-C reaches the whole process group, and a worker that stopped
// on its own would look like a crash to replace.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => {})
process.on('message', (message: PrimaryMessage) => {
  if (message?.t === 'plan') void serve(message.plan)
  else if (message?.t === 'share') balance?.onShare(message.share)
  else if (message?.t === 'metrics') void answerScrape(message.id)
  else if (message?.t === 'close') void close()
})
process.on('disconnect', () => void close())
// A worker proxies: it keeps the heap floor a single `start` process keeps.
keepHeapFloor()
send({ t: 'waiting' })
