import { connect } from 'node:net'
import { DEFAULTS, type Upstream } from '../config.js'
import { ConfigError } from '../errors.js'
import type { Logger } from '../logger.js'
import { confirm, type ConfirmOptions } from './confirm.js'

/**
 * Tries one TCP connection to the app (nothing is sent). Resolves with undefined when it connects,
 * else with the reason (`ECONNREFUSED`, `no connection within 1000 ms`). Bounded by `timeoutMs`.
 */
export function probeApp(app: Upstream, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: app.hostname.replace(/^\[|\]$/g, ''), port: app.port })
    const finish = (reason: string | undefined) => {
      socket.destroy()
      clearTimeout(timer)
      resolve(reason)
    }
    const timer = setTimeout(() => finish(`no connection within ${timeoutMs} ms`), timeoutMs)
    socket.once('connect', () => finish(undefined))
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message))
  })
}

/**
 * Start-up check: warns when the app does not accept connections yet and, on a terminal without
 * `--yes`/`--quiet`, asks whether to go on. Declining is an error (exit 2); `answers.signal`
 * (SIGINT meanwhile) ends the question.
 */
export async function checkApp(app: Upstream, logger: Logger, answers: ConfirmOptions): Promise<void> {
  // Only the forward proxy can reach an app behind it; its 502 page will say if it cannot.
  if (app.proxy !== undefined) return
  const reason = await probeApp(app, DEFAULTS.appProbeTimeoutMs)
  if (reason === undefined) return
  const where = `${app.origin}${app.pathPrefix}`
  logger.warn(`the app at ${where} is not reachable yet (${reason}); requests for it get 502 until it is up`)
  if (!(await confirm('Start the proxy anyway?', answers))) {
    throw new ConfigError(`stopped: the app at ${where} is not reachable`)
  }
}
