import Module, { createRequire } from 'node:module'
import type { Dispatcher, H2CClient as H2CClientType, Pool as PoolType } from 'undici'

// undici's entry point evaluates every dispatcher, agent, fetch, WebSocket and cache it has (about
// 110 ms of a 2-core start-up here); the proxy needs its Pool (about 50 ms). Its package has no
// exports map, so single files load with `require`. Each part falls back to the entry point if a
// future undici moves the file; test/undici-parts.test.ts fails then, so the fallback never goes unnoticed.
const require = createRequire(import.meta.url)

/** The single files loaded instead of the entry point. */
export const UNDICI_PARTS = {
  pool: 'undici/lib/dispatcher/pool.js',
  h2cClient: 'undici/lib/dispatcher/h2c-client.js',
  request: 'undici/lib/api/api-request.js',
  /** Not loaded until a connection to the app negotiates HTTP/2 ({@link deferClientH2}). */
  clientH2: 'undici/lib/dispatcher/client-h2.js',
} as const

function part<T>(file: string, fromEntry: (undici: typeof import('undici')) => T): T {
  try {
    return require(file) as T
  } catch {
    return fromEntry(require('undici') as typeof import('undici'))
  }
}

type ConnectH2 = (...args: unknown[]) => unknown

/**
 * undici's client.js requires client-h2.js at its top, and with it node:http2 and node:tls: 5-8 ms
 * of every start on Node 20 and 24, for HTTP/2 to the app, which only `--app-h2` asks for. client.js
 * uses it once, as a call made when a connection has negotiated h2, so a stand-in that loads the
 * real file at that call takes its place in the require cache before the pool loads.
 * test/undici-parts.test.ts fails if undici's client.js comes to use it otherwise (its h2c request
 * goes through the stand-in in a fresh process).
 */
function deferClientH2(): void {
  let file: string
  try {
    file = require.resolve(UNDICI_PARTS.clientH2)
  } catch {
    return
  }
  if (require.cache[file] !== undefined) return
  let connectH2: ConnectH2 | undefined
  const standIn = new Module(file)
  standIn.filename = file
  standIn.loaded = true
  standIn.exports = function connectH2OnFirstUse(...args: unknown[]): unknown {
    if (connectH2 === undefined) {
      delete require.cache[file]
      connectH2 = require(file) as ConnectH2
    }
    return connectH2(...args)
  }
  require.cache[file] = standIn
}

deferClientH2()

/** undici's `Pool` class. */
export const Pool: typeof PoolType = part(UNDICI_PARTS.pool, (undici) => undici.Pool)

/** undici's `H2CClient` (only `--app-h2` to an http app needs it, so it loads on first use). */
export function h2cClientClass(): typeof H2CClientType {
  return part(UNDICI_PARTS.h2cClient, (undici) => undici.H2CClient)
}

type RequestMethod = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>

/**
 * undici's `dispatcher.request` method: the entry point mixes it into every dispatcher's
 * prototype, so a pool loaded on its own lacks it.
 */
export const dispatcherRequest: RequestMethod = part(UNDICI_PARTS.request, (undici) => undici.Dispatcher.prototype.request as RequestMethod)

/** `dispatcher.request(options)` (the promise form) for a dispatcher loaded without the entry point. */
export function requestOf(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return dispatcherRequest.call(dispatcher, options)
}
