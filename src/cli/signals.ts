import type { Logger } from '../logger.js'

interface Closable {
  close(): Promise<void>
}

/**
 * Resolves once SIGINT or SIGTERM has closed `resource` gracefully. A second signal while
 * draining exits at once with 130.
 */
export function handleSignals(resource: Closable, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130)
      stopping = true
      logger.info(`${signal}: finishing in-flight requests…`)
      resource.close().then(
        () => {
          logger.info('http server was shutdown gracefully')
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
          resolve()
        },
        (error: unknown) => {
          logger.warn(`shutdown failed: ${(error as Error).message}`)
          process.exitCode = 1
          resolve()
        },
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
