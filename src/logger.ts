/** Where the proxy reports what it does. Commands build one for stderr; tests can capture lines. */
export interface Logger {
  /** True when `--debug` is on: callers skip building debug events otherwise. */
  readonly debugEnabled: boolean
  /** Start-up and shutdown messages (the banner); silenced by `--quiet`. */
  info(message: string): void
  /** Problems the user should see even with `--quiet`. */
  warn(message: string): void
  /** One structured event, written as a JSON line (only with `--debug`). */
  debug(event: Readonly<Record<string, unknown>>): void
}

export interface LoggerOptions {
  readonly quiet?: boolean
  readonly debug?: boolean
  readonly write?: (line: string) => void
  /** Written into every debug event (a worker says which one it is). */
  readonly fields?: Readonly<Record<string, unknown>> | undefined
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const quiet = options.quiet ?? false
  const debugEnabled = options.debug ?? false
  const fields = options.fields ?? {}
  return {
    debugEnabled,
    info: (message) => {
      if (!quiet) write(`${message}\n`)
    },
    warn: (message) => write(`ory-proxy: warning: ${message}\n`),
    debug: (event) => {
      if (debugEnabled) write(`${JSON.stringify({ time: new Date().toISOString(), ...fields, ...event })}\n`)
    },
  }
}

/** A logger that drops everything, for library use and tests that do not read logs. */
export const silentLogger: Logger = createLogger({ quiet: true, write: () => {} })
