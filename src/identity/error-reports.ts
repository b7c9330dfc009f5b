import { randomUUID } from 'node:crypto'
import { ExpiringMap } from './expiring-map.js'
import type { KratosErrorBody } from './kratos-errors.js'

export interface ErrorReport {
  readonly id: string
  readonly body: KratosErrorBody
  readonly createdAt: number
}

const MAX_REPORTS = 1_000
const RETAIN_MS = 60 * 60 * 1000

/**
 * Kratos' self-service errors: a browser that fails outside a form (bad CSRF, a forbidden
 * `return_to`) is redirected to the error UI with `?id=`, and the UI reads the error from
 * `/self-service/errors?id=`. Kept an hour, at most a thousand.
 */
export class ErrorReports {
  readonly #reports = new ExpiringMap<ErrorReport>(MAX_REPORTS, (report) => report.createdAt + RETAIN_MS)

  add(body: KratosErrorBody, now: number): ErrorReport {
    const report = { id: randomUUID(), body, createdAt: now }
    this.#reports.set(report.id, report, now)
    return report
  }

  get(id: string | null, now: number): ErrorReport | undefined {
    return id === null ? undefined : this.#reports.get(id, now)
  }
}
