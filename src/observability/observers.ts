import type { RequestInfo } from '../server/forward.js'
import type { ProxyObserver, RewriteOutcome } from '../server/observer.js'
import type { RequestLog } from './request-log.js'

/**
 * The one observer the proxy reports to, made of the request log (when it writes request lines)
 * and the metrics. Undefined when neither is there: the proxy then measures nothing per request.
 */
export function combineObservers(requestLog: RequestLog | undefined, metrics: ProxyObserver | undefined): ProxyObserver | undefined {
  const log = requestLog?.format === undefined ? undefined : requestLog
  if (log === undefined) return metrics
  if (metrics === undefined) return { requestEnded: (request, status) => log.requestEnded(request, status), bodyRewrite: ignore }
  return new BothObservers(log, metrics)
}

class BothObservers implements ProxyObserver {
  readonly #log: Pick<ProxyObserver, 'requestEnded'>
  readonly #metrics: ProxyObserver

  constructor(log: Pick<ProxyObserver, 'requestEnded'>, metrics: ProxyObserver) {
    this.#log = log
    this.#metrics = metrics
  }

  requestEnded(request: RequestInfo, status: number): void {
    this.#metrics.requestEnded(request, status)
    this.#log.requestEnded(request, status)
  }

  bodyRewrite(outcome: RewriteOutcome, bytesRead: number): void {
    this.#metrics.bodyRewrite(outcome, bytesRead)
  }
}

function ignore(): void {}
