import type { RequestInfo } from './forward.js'

/**
 * What became of an Ory response body that was a candidate for the URL rewrite: `rewritten`,
 * `unchanged` (read, no Ory URL in it), `too_large` (over the bound: passed on unmodified) or
 * `undecodable` (its encoding could not be undone: passed on unmodified).
 */
export type RewriteOutcome = 'rewritten' | 'unchanged' | 'too_large' | 'undecodable'

/**
 * What the proxy reports about the requests it serves, for the request log and the metrics
 * (src/observability implements it). The pipeline only reports facts; it never formats a line or
 * names a metric. Absent, nothing is measured: no clock is read and nothing is called per request.
 */
export interface ProxyObserver {
  /**
   * Called exactly once per request, when its response ended, failed, or switched protocols
   * (101), or when the client left before any answer (499). `request` carries the timings, the
   * session outcome and, when the proxy answered with an error of its own, its code.
   */
  requestEnded(request: RequestInfo, status: number): void
  /** An Ory body was considered for the URL rewrite; `bytesRead` were buffered for it (0: not read). */
  bodyRewrite(outcome: RewriteOutcome, bytesRead: number): void
}
