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
  /** Where info and warning lines go; default stderr, written at once. */
  readonly write?: (line: string) => void
  /**
   * Where debug events go (the request log's asynchronous JSON stream, so they stay in order with
   * the request lines). Without it they are written as JSON lines through `write`.
   */
  readonly events?: ((event: Readonly<Record<string, unknown>>) => void) | undefined
  /** Written into every debug event written through `write` (a worker says which one it is). */
  readonly fields?: Readonly<Record<string, unknown>> | undefined
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? writeStderr
  const quiet = options.quiet ?? false
  const debugEnabled = options.debug ?? false
  const fields = options.fields ?? {}
  const events =
    options.events ?? ((event: Readonly<Record<string, unknown>>) => write(`${JSON.stringify({ time: new Date().toISOString(), ...fields, ...event })}\n`))
  return {
    debugEnabled,
    info: (message) => {
      if (!quiet) write(`${message}\n`)
    },
    warn: (message) => write(`ory-proxy: warning: ${message}\n`),
    debug: (event) => {
      if (debugEnabled) events(event)
    },
  }
}

/**
 * Writes to stderr. A reader that went away makes the next write fail with EPIPE, which Node
 * raises as an 'error' on process.stderr and, unheard, as an uncaught exception: a closed log pipe
 * must cost log lines, never the proxy, so those errors are heard and dropped.
 */
function writeStderr(line: string): void {
  const stderr = process.stderr
  if (stderr.listenerCount('error') === 0) stderr.on('error', () => {})
  stderr.write(line)
}

/** A logger that drops everything, for library use and tests that do not read logs. */
export const silentLogger: Logger = createLogger({ quiet: true, write: () => {} })
