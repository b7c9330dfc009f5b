import type { Logger as Pino } from 'pino'
import type { RequestLogFormat } from '../config.js'
import type { RequestInfo } from '../server/forward.js'
import type { ProxyObserver } from '../server/observer.js'
import { LogDestination } from './log-destination.js'

export interface RequestLogOptions {
  /** undefined: no line per request (only `--debug` events, when `debug`). */
  readonly format: RequestLogFormat | undefined
  /** `--debug`: the decision events (CORS, rewrites, ...) too, as JSON lines among the requests. */
  readonly debug: boolean
  /** Fields every JSON line carries (a worker's id and process id when there are several). */
  readonly fields?: Readonly<Record<string, unknown>> | undefined
  /** Where lines go; default stderr. */
  readonly destination?: LogDestination | undefined
}

/** Control characters in a path would reach the terminal as they are; such a path is shown JSON-escaped. */
const CONTROL = /[\x00-\x1f\x7f]/
const MAX_PATH_CHARS = 2_000

/**
 * The request log: one line per request on stderr through an asynchronous, batched destination
 * (see {@link LogDestination}), in the `text` or `json` format, and with `--debug` the decision
 * events as JSON lines in the same stream. Lines are made only here: the proxy reports requests
 * (`requestEnded`) and events, never a formatted line.
 */
export class RequestLog implements Pick<ProxyObserver, 'requestEnded'> {
  readonly #destination: LogDestination
  readonly #pino: Pino | undefined
  /** undefined: no request lines, only `--debug` events. */
  readonly format: RequestLogFormat | undefined

  private constructor(destination: LogDestination, pino: Pino | undefined, format: RequestLogFormat | undefined) {
    this.#destination = destination
    this.#pino = pino
    this.format = format
  }

  /** The log `options` ask for; undefined when they ask for nothing (no format, no `--debug`). */
  static async open(options: RequestLogOptions): Promise<RequestLog | undefined> {
    if (options.format === undefined && !options.debug) return undefined
    const destination = options.destination ?? new LogDestination()
    // pino (about 50 ms to load) only for JSON: the text format writes its lines itself.
    let pino: Pino | undefined
    if (options.format === 'json' || options.debug) {
      const { pino: create, stdTimeFunctions } = await import('pino')
      pino = create(
        {
          level: options.debug ? 'debug' : 'info',
          base: options.fields ?? null,
          timestamp: stdTimeFunctions.isoTime,
          // The level as a word ("info": requests, "debug": decisions), as log shippers expect.
          formatters: { level: (label) => ({ level: label }) },
        },
        destination,
      )
    }
    return new RequestLog(destination, pino, options.format)
  }

  /** Lines lost because stderr was not read fast enough, or not at all. */
  get dropped(): number {
    return this.#destination.dropped
  }

  requestEnded(request: RequestInfo, status: number): void {
    if (this.format === 'text') this.#destination.write(textLine(request, status))
    else if (this.format === 'json') this.#pino!.info(jsonFields(request, status))
  }

  /** One `--debug` event (a JSON line); dropped without `--debug`. */
  readonly event = (event: Readonly<Record<string, unknown>>): void => {
    this.#pino?.debug(event)
  }

  /** Writes what is queued (waiting at most `deadlineMs` for a slow reader), then stops. */
  close(deadlineMs?: number): Promise<void> {
    return this.#destination.close(deadlineMs)
  }
}

/** `=> 200 GET [/dashboard] took 12.35ms jwt`: ory proxy's line, plus whether the app got a JWT. */
export function textLine(request: RequestInfo, status: number): string {
  const ms = Math.round((performance.now() - request.startedAt) * 100) / 100
  const who = request.route === 'app' ? (request.jwt ? ' jwt' : ' anon') : ''
  return `=> ${status} ${request.method} [${printablePath(request.target)}] took ${ms}ms${who}\n`
}

/** The fields of a request's JSON line (and of `--debug`'s `request` event). */
export function jsonFields(request: RequestInfo, status: number): Record<string, unknown> {
  return {
    event: 'request',
    request: request.requestId,
    method: request.method,
    path: request.target,
    route: request.route,
    status,
    upstream_ms: request.upstreamMs < 0 ? null : roundMs(request.upstreamMs),
    ms: roundMs(performance.now() - request.startedAt),
    session: request.session,
    jwt: request.jwt,
    error: request.errorCode ?? null,
  }
}

function printablePath(target: string): string {
  const path = target.length > MAX_PATH_CHARS ? `${target.slice(0, MAX_PATH_CHARS)}…` : target
  return CONTROL.test(path) ? JSON.stringify(path).slice(1, -1) : path
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
